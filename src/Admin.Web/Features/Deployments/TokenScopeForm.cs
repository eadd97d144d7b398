using Admin.Data.Deployments;

namespace Admin.Web.Features.Deployments;

/// <summary>The scope fields of the tokens page as typed and ticked; <see cref="ToScope"/> gives what is sent to the service (which validates it).</summary>
public sealed class TokenScopeForm
{
    public string Services { get; set; } = "";
    public IEnumerable<string> Environments { get; set; } = [];
    public bool AllEnvironments { get; set; }

    public bool Has(string environment) => Environments.Contains(environment);

    /// <summary>Ticks or unticks one environment.</summary>
    public void Set(string environment, bool ticked) =>
        Environments = ticked ? Environments.Append(environment).Distinct().ToList() : Environments.Where(e => e != environment).ToList();

    public TokenScope ToScope() => new(TokenScope.ParseList(Services), AllEnvironments ? [TokenScope.All] : Environments.ToList());

    public static TokenScopeForm From(TokenScope scope) => new()
    {
        Services = string.Join(", ", scope.Services),
        Environments = scope.AllEnvironments ? [] : scope.Environments.ToList(),
        AllEnvironments = scope.AllEnvironments,
    };
}
