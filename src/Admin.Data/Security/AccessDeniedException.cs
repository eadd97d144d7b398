namespace Admin.Data.Security;

/// <summary>
/// PostgreSQL refused a statement for lack of rights (SQLSTATE 42501). The message is the hint for the person refused;
/// <see cref="RequestId"/> finds the request's audit trail and <see cref="DenialId"/> the recorded denial (null when
/// recording failed: the refusal itself stands either way).
/// </summary>
public sealed class AccessDeniedException(string hint, RlsRefusal refusal, string? requestId, long? denialId, Exception inner)
    : Exception(hint, inner)
{
    public RlsRefusal Refusal { get; } = refusal;
    public string? RequestId { get; } = requestId;
    public long? DenialId { get; } = denialId;

    internal const string DataKey = "Admin.RlsDenial";
}
