using Admin.Data;
using Admin.Data.Deployments;

namespace Admin.Web.Features.Deployments;

/// <summary>
/// The API tokens page's state: the tokens, the new token's name and scope, the secret shown once after creating one
/// (forgotten when that token is revoked), and the refusal of the last create.
/// </summary>
public sealed class TokensState(ApiTokenService tokens, DeploymentService deployments)
{
    public IReadOnlyList<ApiTokenInfo> Tokens { get; private set; } = [];
    public IReadOnlyList<DeployEnvironment> Environments { get; private set; } = [];
    public IReadOnlyList<string> Services { get; private set; } = [];
    public CreatedApiToken? Created { get; private set; }
    public string Name { get; set; } = "";
    public TokenScopeForm Form { get; private set; } = new();
    public string? Error { get; private set; }
    public bool Busy { get; private set; }

    public async Task LoadAsync(CancellationToken ct = default)
    {
        Tokens = await tokens.ListAsync(ct);
        Environments = await deployments.EnvironmentsAsync(ct);
        Services = await deployments.ServicesAsync(ct);
    }

    public async Task ReloadTokensAsync() => Tokens = await tokens.ListAsync();

    /// <summary>Creates the token; on success the form is cleared and <see cref="Created"/> holds the secret, else <see cref="Error"/> says why.</summary>
    public async Task<bool> CreateAsync()
    {
        Busy = true;
        Error = null;
        try
        {
            Created = await tokens.CreateAsync(Name, Form.ToScope());
            Name = "";
            Form = new TokenScopeForm();
            await ReloadTokensAsync();
            return true;
        }
        catch (UserFacingException e)
        {
            Error = e.Message;
            return false;
        }
        finally { Busy = false; }
    }

    public async Task RevokeAsync(ApiTokenInfo token)
    {
        await tokens.RevokeAsync(token.Id);
        if (Created?.Token.Id == token.Id) Created = null;
        await ReloadTokensAsync();
    }
}
