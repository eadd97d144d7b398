using Admin.Data.Session;

namespace Admin.Data.Security;

/// <summary>
/// Why PostgreSQL refused, in plain words for the person refused: which of their scopes or roles did not fit the row,
/// and whom to ask. Mirrors the policies of migration RowLevelSecurity (docs/security.md); the database decides, this
/// only explains.
/// </summary>
public static class RlsHints
{
    private const string AskAdmin = "Ask an admin for access";

    /// <summary>Who may change each table, for refusals that no scope rule explains.</summary>
    private static readonly Dictionary<string, string> Writers = new()
    {
        ["homepage_sections"] = "Homepage content is changed by Editors (in their locales) and Admins",
        ["section_versions"] = "Homepage content is changed by Editors (in their locales) and Admins",
        ["section_schedules"] = "Homepage content is changed by Editors (in their locales) and Admins",
        ["section_products"] = "Homepage content is changed by Editors (in their locales) and Admins",
        ["section_categories"] = "Homepage content is changed by Editors (in their locales) and Admins",
        ["products"] = "The catalog is read-only in the console",
        ["categories"] = "The catalog is read-only in the console",
        ["releases"] = "Releases are prepared by Editors, ReleaseManagers and Admins; only ReleaseManagers and Admins approve, deploy, roll back or abandon them",
        ["entity_versions"] = "Release changes are made by Editors, ReleaseManagers and Admins, within their brands and locales",
        ["deploy_environments"] = "Environments are set up by the schema, not in the console",
        ["deployments"] = "Deployments are reported by CI/CD systems with API tokens and decided by ReleaseManagers and Admins",
        ["deployment_status_history"] = "Deployments are reported by CI/CD systems with API tokens and decided by ReleaseManagers and Admins",
        ["api_tokens"] = "API tokens are managed by Admins",
        ["audit_events"] = "The audit trail is append-only: rows are added only by the database itself, and nobody changes or deletes them",
        ["rls_denials"] = "Denials are recorded only by the database itself, and nobody changes or deletes them",
    };

    public static string For(RlsRefusal refusal, SessionContext who, RlsSubject? subject)
    {
        if (who.Roles.Count == 0)
            return "This request carried no signed-in user, so the database showed and allowed nothing. Sign in again; if it keeps happening, tell an admin.";

        if (refusal.WordedByDatabase) return $"{refusal.Message} {AskAdmin} if you need it.";

        var table = refusal.Table ?? subject?.Table;
        if (refusal.Policy is { } policy && policy.EndsWith("_scope", StringComparison.Ordinal))
            return table is "entity_versions" ? BrandLocaleScope(who, subject) : LocaleScope(who, subject);

        if (refusal.Message.StartsWith("permission denied", StringComparison.Ordinal))
            return table is not null && Writers.TryGetValue(table, out var fixedRule)
                ? $"{fixedRule}. This is a rule of the schema, not of your account."
                : $"The console may not {Verb(refusal.Operation)} {Name(table)}: this is a rule of the schema, not of your account.";

        if (table == "releases" && who.Roles.Contains("Editor") && !who.Roles.Contains("ReleaseManager") && !who.Roles.Contains("Admin"))
            return "As an Editor you move a release only between draft and review. Approving, deploying, rolling back and abandoning need the " +
                   $"ReleaseManager role. {AskAdmin} if you need it.";

        var rule = table is not null && Writers.TryGetValue(table, out var writers) ? writers + "." : "";
        return $"Your roles [{List(who.Roles)}] do not allow you to {Verb(refusal.Operation)} {Name(table)}. {rule} {AskAdmin} if you need it."
            .Replace("  ", " ");
    }

    private static string BrandLocaleScope(SessionContext who, RlsSubject? subject)
    {
        if (subject is null)
            return $"You change release content only within your brands [{List(who.Brands)}] and locales [{List(who.Locales)}]; this row is outside them. {AskAdmin}.";
        var brandOut = subject.Brand is { } b && !who.Brands.Contains(b);
        var localeOut = subject.Locale is { } l && !who.Locales.Contains(l);
        var what = subject.Description ?? "this row";
        return (brandOut, localeOut) switch
        {
            (true, true) => $"You edit brands [{List(who.Brands)}] and locales [{List(who.Locales)}]; {what} belongs to {subject.Brand} in {subject.Locale}. {AskAdmin} to {subject.Brand} and {subject.Locale}.",
            (true, false) => $"You edit brands [{List(who.Brands)}]; {what} belongs to {subject.Brand}. {AskAdmin} to {subject.Brand}.",
            (false, true) => $"You edit locales [{List(who.Locales)}]; {what} is in {subject.Locale}. {AskAdmin} to {subject.Locale}.",
            _ => $"You change release content only within your brands [{List(who.Brands)}] and locales [{List(who.Locales)}]; {what} was outside them when the database checked. {AskAdmin}.",
        };
    }

    private static string LocaleScope(SessionContext who, RlsSubject? subject) =>
        subject?.Locale is { } locale
            ? $"You edit locales [{List(who.Locales)}]; {subject.Description ?? "this section"} is in {locale}. {AskAdmin} to {locale}."
            : $"You edit homepage content only in your locales [{List(who.Locales)}]; this section is in another one. {AskAdmin}.";

    private static string List(IReadOnlyList<string> items) => items.Count == 0 ? "none" : string.Join(", ", items);

    private static string Name(string? table) => table is null ? "this" : table.Replace('_', ' ');

    private static string Verb(string operation) => operation switch
    {
        "INSERT" => "add to",
        "UPDATE" => "change",
        "DELETE" => "delete from",
        "SELECT" => "read",
        "EXECUTE" => "run",
        _ => "do that with",
    };
}
