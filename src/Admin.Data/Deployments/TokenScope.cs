using System.Text.RegularExpressions;

namespace Admin.Data.Deployments;

/// <summary>The shapes of service and environment names (the same CHECKs are in the SQL schema).</summary>
public static partial class DeploymentNames
{
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")] public static partial Regex ServicePattern();
    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,39}$")] public static partial Regex EnvironmentPattern();
}

/// <summary>
/// What an API token may report: the services (or every service, <see cref="All"/>) in the environments (or every
/// environment). The database checks it on every call (api_token_scope_refusal); this is the console's side of it.
/// </summary>
public sealed record TokenScope(IReadOnlyList<string> Services, IReadOnlyList<string> Environments)
{
    /// <summary>"Every one, including ones added later": the explicit wildcard, alone in its list.</summary>
    public const string All = "*";
    public const int MaxItems = 100;

    public static readonly TokenScope Everything = new([All], [All]);

    public bool AllServices => Services is [All];
    public bool AllEnvironments => Environments is [All];

    /// <summary>A list typed by a person: names separated by commas, semicolons or white space; blanks and repeats dropped.</summary>
    public static IReadOnlyList<string> ParseList(string? text) =>
        (text ?? "").Split([',', ';', ' ', '\t', '\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Distinct(StringComparer.Ordinal).ToList();

    /// <summary>In the database's words: "services [web, api] in environments [staging]", "any service in any environment".</summary>
    public override string ToString() =>
        $"{Describe(Services, "any service", "services")} in {Describe(Environments, "any environment", "environments")}";

    private static string Describe(IReadOnlyList<string> items, string all, string some) =>
        items is [All] ? all : $"{some} [{string.Join(", ", items)}]";

    /// <summary>Why the scope is not acceptable (field "services" or "environments"), or null. Environments must exist.</summary>
    public (string Field, string Message)? Problem(IReadOnlyCollection<string> knownEnvironments)
    {
        if (ListProblem(Services, "service", DeploymentNames.ServicePattern(),
                "must start with a letter or digit and use only letters, digits, '.', '_' or '-'") is { } services)
            return ("services", services);
        if (ListProblem(Environments, "environment", DeploymentNames.EnvironmentPattern(), "is not an environment name") is { } environments)
            return ("environments", environments);
        if (!AllEnvironments && Environments.FirstOrDefault(e => !knownEnvironments.Contains(e)) is { } unknown)
            return ("environments", $"There is no environment '{unknown}'; use {string.Join(", ", knownEnvironments)} or * for all.");
        return null;
    }

    private static string? ListProblem(IReadOnlyList<string> items, string noun, Regex pattern, string shape)
    {
        if (items.Count == 0) return $"Name the {noun}s the token may report, or * for every {noun}.";
        if (items.Count > 1 && items.Contains(All)) return $"* already means every {noun}; use it alone or list {noun}s without it.";
        if (items.Count > MaxItems) return $"A token names at most {MaxItems} {noun}s; use * for every {noun}.";
        if (items.Count != items.Distinct(StringComparer.Ordinal).Count()) return $"Each {noun} once, please.";
        if (items is [All]) return null;
        return items.FirstOrDefault(i => !pattern.IsMatch(i)) is { } bad ? $"'{bad}' {shape}." : null;
    }
}
