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

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return AuthenticateResult.NoResult();
        var token = header["Bearer ".Length..].Trim();
        if (token.Length is < 10 or > 200) return AuthenticateResult.Fail("malformed token");
        var caller = await ingestion.AuthenticateAsync(token, Context.RequestAborted);
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
        Response.Headers.WWWAuthenticate = "Bearer";
        return ApiProblems.WriteAsync(Context, StatusCodes.Status401Unauthorized, "Unauthorized",
            "Send an API token as 'Authorization: Bearer <token>'; an Admin creates tokens at /deployments/tokens. Revoked tokens are refused.");
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        ApiProblems.WriteAsync(Context, StatusCodes.Status403Forbidden, "Forbidden", "This token may not do that.");

    /// <summary>The caller of an authenticated request (claims set above).</summary>
    public static ApiCaller Caller(ClaimsPrincipal user) => new(
        Guid.Parse(user.FindFirstValue(TokenIdClaim)!), user.FindFirstValue(TokenNameClaim)!,
        Guid.Parse(user.FindFirstValue(ClaimTypes.NameIdentifier)!), user.FindFirstValue(ClaimTypes.Email)!);
}
