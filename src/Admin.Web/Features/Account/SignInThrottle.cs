using System.Globalization;
using System.Text.Encodings.Web;
using System.Threading.RateLimiting;
using Admin.Data.Account;
using Admin.Data.Audit;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Admin.Web.Features.Account;

/// <summary>A sign-in attempt as the throttle sees it: the client address and the normalised email ("" when none was sent).</summary>
public readonly record struct SignInAttempt(string Address, string Account);

/// <summary>
/// Throttles the sign-in form's POST per client address and per account (the normalised email, whether or not such an
/// account exists, so the answer tells nothing about accounts). Every attempt takes a permit from both fixed windows
/// before any database work or password hashing; past either limit the request is answered 429 with Retry-After and a
/// short page, without reaching the sign-in service, so it writes no audit row and hashes no password. Refused attempts
/// are counted and written as one <c>auth.login_throttled</c> audit row per <see cref="SignInThrottleOptions.SummarySeconds"/>
/// (<see cref="SignInThrottleSummaryWriter"/>).
/// <para>
/// The windows live in this instance's memory (System.Threading.RateLimiting, the limiters under ASP.NET Core's rate
/// limiting middleware, chained: the address first, so a refused address does not spend the account's permits). With
/// several instances each has its own windows; what bounds password guessing across instances is Identity's lockout,
/// which counts failures per account in the database (5 failures lock the account for 15 minutes).
/// </para>
/// </summary>
public sealed class SignInThrottle : IDisposable
{
    public const string FormPath = "/Account/Login";
    private const string EmailField = "Input.Email";
    private const int MaxKeysPerSummary = 1000;

    private readonly PartitionedRateLimiter<SignInAttempt> _limiter;
    private readonly SignInThrottleOptions _options;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private Dictionary<string, int> _refusedByAddress = [];
    private Dictionary<string, int> _refusedByAccount = [];
    private int _refused;
    private DateTimeOffset _since;

    public SignInThrottle(IOptions<AccountOptions> options, TimeProvider time)
    {
        _options = options.Value.SignIn;
        _time = time;
        _since = time.GetUtcNow();
        _limiter = PartitionedRateLimiter.CreateChained(
            PartitionedRateLimiter.Create<SignInAttempt, string>(a => Window(a.Address, _options.PerAddress)),
            PartitionedRateLimiter.Create<SignInAttempt, string>(a => a.Account.Length == 0
                ? RateLimitPartition.GetNoLimiter("")
                : Window(a.Account, _options.PerAccount)));
    }

    private static RateLimitPartition<string> Window(string key, SignInLimit limit) => limit.PermitLimit <= 0
        ? RateLimitPartition.GetNoLimiter(key)
        : RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = limit.PermitLimit,
            Window = TimeSpan.FromSeconds(Math.Max(1, limit.WindowSeconds)),
            QueueLimit = 0,
        });

    /// <summary>Takes a permit for the attempt: null when it may go ahead, otherwise how long the client should wait.</summary>
    public TimeSpan? TryAdmit(SignInAttempt attempt)
    {
        using var lease = _limiter.AttemptAcquire(attempt);
        if (lease.IsAcquired) return null;
        lock (_gate)
        {
            _refused++;
            Count(_refusedByAddress, attempt.Address);
            if (attempt.Account.Length > 0) Count(_refusedByAccount, attempt.Account);
        }
        return lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) && wait > TimeSpan.Zero
            ? wait
            : TimeSpan.FromSeconds(Math.Max(_options.PerAddress.WindowSeconds, _options.PerAccount.WindowSeconds));
    }

    private static void Count(Dictionary<string, int> counts, string key)
    {
        // A flood from many addresses must not grow the counts without bound; the total still counts every attempt.
        if (counts.Count < MaxKeysPerSummary || counts.ContainsKey(key))
            counts[key] = counts.GetValueOrDefault(key) + 1;
    }

    /// <summary>The attempts refused since the last call (null if none), and a fresh count from now.</summary>
    public ThrottleSummary? TakeSummary()
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            var summary = _refused == 0 ? null : new ThrottleSummary(_since, now, _refused, Top(_refusedByAddress), Top(_refusedByAccount));
            (_refused, _since, _refusedByAddress, _refusedByAccount) = (0, now, [], []);
            return summary;
        }
    }

    private static IReadOnlyList<KeyValuePair<string, int>> Top(Dictionary<string, int> counts) =>
        counts.OrderByDescending(c => c.Value).ThenBy(c => c.Key, StringComparer.Ordinal).Take(10).ToList();

    public void Dispose() => _limiter.Dispose();

    public static bool IsSignInPost(HttpContext http) =>
        HttpMethods.IsPost(http.Request.Method) && http.Request.Path.Equals(FormPath, StringComparison.OrdinalIgnoreCase);

    /// <summary>The middleware: on the sign-in form's POST, admit the attempt or answer 429 before anything else runs.</summary>
    public static async Task InvokeAsync(HttpContext http, RequestDelegate next)
    {
        if (!IsSignInPost(http))
        {
            await next(http);
            return;
        }
        var throttle = http.RequestServices.GetRequiredService<SignInThrottle>();
        var normalizer = http.RequestServices.GetRequiredService<ILookupNormalizer>();
        var attempt = new SignInAttempt(ClientAddress(http), normalizer.NormalizeEmail(await PostedEmailAsync(http)) ?? "");
        if (throttle.TryAdmit(attempt) is not { } wait)
        {
            await next(http);
            return;
        }
        await RefuseAsync(http, Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)));
    }

    /// <summary>
    /// The email field of the form, trimmed; "" for a body that is not a readable form or fails the antiforgery check
    /// (the form must not be read then; the page answers 400).
    /// </summary>
    private static async Task<string> PostedEmailAsync(HttpContext http)
    {
        if (http.Features.Get<IAntiforgeryValidationFeature>() is { IsValid: false } || !http.Request.HasFormContentType) return "";
        try
        {
            var form = await http.Request.ReadFormAsync(http.RequestAborted);
            return form[EmailField].ToString().Trim();
        }
        catch (Exception e) when (e is InvalidDataException or IOException or BadHttpRequestException)
        {
            return "";
        }
    }

    public static string ClientAddress(HttpContext http) => http.Connection.RemoteIpAddress switch
    {
        null => "unknown",
        { IsIPv4MappedToIPv6: true } mapped => mapped.MapToIPv4().ToString(),
        var address => address.ToString(),
    };

    /// <summary>429 with Retry-After and a page a person can read (the status-code pages leave a response with a body alone).</summary>
    private static Task RefuseAsync(HttpContext http, int seconds)
    {
        var response = http.Response;
        response.StatusCode = StatusCodes.Status429TooManyRequests;
        response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        response.Headers.CacheControl = "no-store";
        response.ContentType = "text/html; charset=utf-8";
        var again = HtmlEncoder.Default.Encode(FormPath + http.Request.QueryString);
        var requestId = HtmlEncoder.Default.Encode(http.TraceIdentifier);
        return response.WriteAsync($$"""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8" /><meta name="viewport" content="width=device-width, initial-scale=1" />
            <title>Too many sign-in attempts · Admin</title>
            <style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;line-height:1.5;color:#222}</style></head>
            <body><main data-testid="sign-in-throttled">
            <h1>Too many sign-in attempts</h1>
            <p>There have been too many sign-in attempts from your network address or for this email address. Wait
            <strong data-testid="retry-after">{{seconds}} seconds</strong>, then try again.</p>
            <p><a href="{{again}}">Back to sign in</a></p>
            <p><small>Request id: <code>{{requestId}}</code></small></p>
            </main></body></html>
            """);
    }
}

/// <summary>Refused sign-in attempts between two summaries: the total and the ten addresses and accounts refused most.</summary>
public sealed record ThrottleSummary(
    DateTimeOffset From, DateTimeOffset To, int Refused,
    IReadOnlyList<KeyValuePair<string, int>> Addresses, IReadOnlyList<KeyValuePair<string, int>> Accounts);

/// <summary>
/// Writes the throttle's refused attempts as one <c>auth.login_throttled</c> audit row per summary interval (and one
/// more at shutdown), so the trail shows a flood without a row, and a turn at the audit chain, per refused attempt.
/// </summary>
public sealed class SignInThrottleSummaryWriter(
    SignInThrottle throttle, IServiceScopeFactory scopes, IOptions<AccountOptions> options, TimeProvider time,
    ILogger<SignInThrottleSummaryWriter> logger) : BackgroundService
{
    public const string Actor = "sign-in-throttle";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(Math.Max(1, options.Value.SignIn.SummarySeconds)), time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
                await WriteAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await WriteAsync(cancellationToken);
    }

    /// <summary>Writes the summary of the attempts refused since the last one, if any; returns the audit row's id.</summary>
    public async Task<long?> WriteAsync(CancellationToken ct)
    {
        if (throttle.TakeSummary() is not { } summary) return null;
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            return await scope.ServiceProvider.GetRequiredService<AccountAudit>().WriteAsync(new AuditEntry(AuditActions.LoginThrottled, "users",
                NewData: new
                {
                    from = summary.From, to = summary.To, refused = summary.Refused,
                    addresses = summary.Addresses.Select(a => new { address = a.Key, attempts = a.Value }),
                    accounts = summary.Accounts.Select(a => new { email = a.Key.ToLowerInvariant(), attempts = a.Value }),
                },
                ActorEmail: Actor, ActorRoles: [Data.Session.SessionRoles.System]), ct);
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Could not write the summary of {Refused} throttled sign-in attempt(s) from {From:O} to {To:O}", summary.Refused, summary.From, summary.To);
            return null;
        }
    }
}
