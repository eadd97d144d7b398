using System.Security.Claims;
using System.Text.Encodings.Web;
using Admin.Data.Deployments;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Admin.Web.Features.Deployments.Api;

/// <summary>
/// "Authorization: Bearer adm_…" for the ingestion API, a scheme of its own: only the endpoints whose policy names it
/// use it, the rest of the app keeps the Identity cookie. One database round trip (a unique-index probe on the
/// token's SHA-256, which also marks the token used at most once a minute); revocation bites on the next request.
/// </summary>
public sealed class DeployTokenHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, DeploymentIngestion ingestion)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "DeployToken";
    public const string Policy = "deploy-api";
    public const string TokenIdClaim = "deploy:token_id";
    public const string TokenNameClaim = "deploy:token_name";

    public const string CheckedInDatabaseClaim = "deploy:checked_in_database";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (BearerToken(Request) is not { } token)
            return Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
                ? AuthenticateResult.Fail("malformed token")
                : AuthenticateResult.NoResult();
        // An endpoint that sends the token to the database with its own work (one round trip instead of two) gets a
        // principal that only says a token was presented; the endpoint answers 401 itself when the database refuses it,
        // and checks the token before any other refusal (DeploymentApi.TokenHoldsAsync).
        if (Context.GetEndpoint()?.Metadata.GetMetadata<TokenCheckedInDatabase>() is not null)
            return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity(
                [new Claim(CheckedInDatabaseClaim, "true"), new Claim(ClaimTypes.Role, Admin.Data.Session.SessionRoles.DeployApi)],
                SchemeName)), SchemeName));
        ApiCaller? caller;
        try
        {
            caller = await ingestion.AuthenticateAsync(token, Context.RequestAborted);
        }
        catch (Exception ex) when (DatabaseUnavailable.Is(ex) && !Context.RequestAborted.IsCancellationRequested)
        {
            // The token cannot be checked now: the challenge answers 503 (retry), neither 401 (it may be fine) nor 500.
            Logger.LogWarning(ex, "API token check failed: database unavailable");
            Context.Items[UnavailableItem] = true;
            return AuthenticateResult.Fail("database unavailable");
        }
        if (caller is null) return AuthenticateResult.Fail("unknown or revoked token");
        var identity = new ClaimsIdentity(
        [
            new Claim(ClaimTypes.NameIdentifier, caller.CreatedBy.ToString()),
            new Claim(ClaimTypes.Email, caller.CreatedByEmail),
            new Claim(TokenIdClaim, caller.TokenId.ToString()),
            new Claim(TokenNameClaim, caller.TokenName),
            // What row-level security sees for work done on this request (the export): the CI/CD identity.
            new Claim(ClaimTypes.Role, Admin.Data.Session.SessionRoles.DeployApi),
        ], SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        if (!Context.Items.ContainsKey(UnavailableItem)) return WriteUnauthorizedAsync(Context);
        Context.Response.Headers.RetryAfter = "5";
        return ApiProblems.WriteAsync(Context, StatusCodes.Status503ServiceUnavailable, "Temporarily unavailable",
            "The API token could not be checked because the database could not be reached; retry with the same Idempotency-Key.");
    }

    private const string UnavailableItem = "deploy:token-check-unavailable";

    public static Task WriteUnauthorizedAsync(HttpContext http)
    {
        http.Response.Headers.WWWAuthenticate = "Bearer";
        return ApiProblems.WriteAsync(http, StatusCodes.Status401Unauthorized, "Unauthorized",
            "Send an API token as 'Authorization: Bearer <token>'; an Admin creates tokens at /deployments/tokens. Revoked tokens are refused.");
    }

    /// <summary>The request's bearer token when it has a plausible one (10 to 200 characters), else null.</summary>
    public static string? BearerToken(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return null;
        var token = header["Bearer ".Length..].Trim();
        return token.Length is < 10 or > 200 ? null : token;
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        ApiProblems.WriteAsync(Context, StatusCodes.Status403Forbidden, "Forbidden", "This token may not do that.");

    /// <summary>The caller of an authenticated request (claims set above).</summary>
    public static ApiCaller Caller(ClaimsPrincipal user) => new(
        Guid.Parse(user.FindFirstValue(TokenIdClaim)!), user.FindFirstValue(TokenNameClaim)!,
        Guid.Parse(user.FindFirstValue(ClaimTypes.NameIdentifier)!), user.FindFirstValue(ClaimTypes.Email)!);
}

/// <summary>Endpoint metadata: the endpoint checks the API token in the database call that does its work.</summary>
public sealed class TokenCheckedInDatabase;
