using System.Text.RegularExpressions;

namespace Admin.Web.Infrastructure;

/// <summary>
/// Gives every request an id: the caller's X-Request-Id when it is sane, otherwise a new one. It becomes
/// HttpContext.TraceIdentifier (so logs, error pages, audit rows and the database session share it) and is echoed back.
/// </summary>
public sealed partial class RequestIdMiddleware(RequestDelegate next, ILogger<RequestIdMiddleware> logger)
{
    public const string Header = "X-Request-Id";

    public async Task InvokeAsync(HttpContext context)
    {
        var incoming = context.Request.Headers[Header].ToString();
        var id = SafeId().IsMatch(incoming) ? incoming : NewId();
        context.TraceIdentifier = id;
        context.Response.OnStarting(() =>
        {
            context.Response.Headers[Header] = id;
            return Task.CompletedTask;
        });
        using (logger.BeginScope(new Dictionary<string, object> { ["RequestId"] = id }))
        {
            await next(context);
        }
    }

    public static string NewId() => $"req_{Guid.CreateVersion7():N}"[..24];

    [GeneratedRegex("^[A-Za-z0-9._:-]{8,64}$")]
    private static partial Regex SafeId();
}
