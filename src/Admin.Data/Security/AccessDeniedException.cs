namespace Admin.Data.Security;

/// <summary>
/// PostgreSQL refused a statement for lack of rights (SQLSTATE 42501). <see cref="Hint"/> says why, for the person
/// refused; the message adds the request id as a reference to give an admin, who finds the request's audit trail and
/// the recorded denial (<see cref="DenialId"/>, null when recording failed: the refusal stands either way) by it.
/// </summary>
public sealed class AccessDeniedException(string hint, RlsRefusal refusal, string? requestId, long? denialId, Exception inner)
    : UserFacingException(requestId is null ? hint : $"{hint} Reference: {requestId}.", null, inner)
{
    public string Hint { get; } = hint;
    public RlsRefusal Refusal { get; } = refusal;
    public string? RequestId { get; } = requestId;
    public long? DenialId { get; } = denialId;

    internal const string DataKey = "Admin.RlsDenial";
}
