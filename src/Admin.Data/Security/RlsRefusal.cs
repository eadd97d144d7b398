using System.Text.RegularExpressions;
using Npgsql;

namespace Admin.Data.Security;

/// <summary>
/// What PostgreSQL refused, read off a 42501 error and the statement that caused it: the table, the operation, and the
/// policy when PostgreSQL names it (it does for RESTRICTIVE policies, which is how the scope rules are written).
/// <see cref="WordedByDatabase"/>: the refusal came from one of the schema's own triggers, whose message is already
/// written for people (e.g. "Only a ReleaseManager or an Admin can mark a release approved.").
/// </summary>
public sealed partial record RlsRefusal(string? Table, string Operation, string? Policy, string SqlState, string Message, bool WordedByDatabase = false)
{
    public static bool IsRefusal(Exception? exception) => FindPostgres(exception)?.SqlState == PostgresErrorCodes.InsufficientPrivilege;

    public static PostgresException? FindPostgres(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
            if (e is PostgresException pg) return pg;
        return null;
    }

    /// <summary>The refusal in <paramref name="error"/>, or null when it is another kind of error.</summary>
    public static RlsRefusal? From(PostgresException error, string? commandText)
    {
        if (error.SqlState != PostgresErrorCodes.InsufficientPrivilege) return null;
        var message = error.MessageText;
        string? table = error.TableName, policy = null, operation = null;
        var worded = false;

        var rls = RowSecurityMessage().Match(message);
        if (rls.Success)
        {
            policy = rls.Groups["policy"].Success ? rls.Groups["policy"].Value : null;
            table ??= rls.Groups["table"].Value;
            // "(USING expression)": the existing row of an upsert failed the UPDATE policy.
            if (rls.Groups["using"].Success) operation = "UPDATE";
        }
        else if (PermissionMessage().Match(message) is { Success: true } permission)
        {
            table ??= permission.Groups["name"].Value;
            if (permission.Groups["kind"].Value == "function") operation = "EXECUTE";
        }
        else worded = true;

        if (operation is null) (operation, table) = StatementOn(commandText, table);
        return new RlsRefusal(table, operation, policy, error.SqlState, message, worded);
    }

    /// <summary>
    /// Which statement of the command wrote <paramref name="table"/> (EF Core batches several in one command); when the
    /// error did not name a table, the command's first write and its table.
    /// </summary>
    private static (string Operation, string? Table) StatementOn(string? commandText, string? table)
    {
        if (string.IsNullOrEmpty(commandText)) return ("OTHER", table);
        if (table is not null)
        {
            var name = Regex.Escape(table);
            if (Regex.IsMatch(commandText, $@"\bINSERT\s+INTO\s+(""?public""?\.)?""?{name}""?\b", RegexOptions.IgnoreCase)) return ("INSERT", table);
            if (Regex.IsMatch(commandText, $@"\bUPDATE\s+(""?public""?\.)?""?{name}""?\b", RegexOptions.IgnoreCase)) return ("UPDATE", table);
            if (Regex.IsMatch(commandText, $@"\bDELETE\s+FROM\s+(""?public""?\.)?""?{name}""?\b", RegexOptions.IgnoreCase)) return ("DELETE", table);
        }
        var write = FirstWrite().Match(commandText);
        if (write.Success)
            return (write.Groups["op"].Value.ToUpperInvariant(), table ?? write.Groups["table"].Value);
        return (FirstKeyword().IsMatch(commandText) ? "SELECT" : "OTHER", table);
    }

    [GeneratedRegex("""new row violates row-level security policy(?: "(?<policy>[^"]+)")?(?<using> \(USING expression\))? for table "(?<table>[^"]+)"?""")]
    private static partial Regex RowSecurityMessage();

    [GeneratedRegex("""permission denied for (?<kind>table|relation|view|sequence|function|schema) (?<name>[\w.]+)""")]
    private static partial Regex PermissionMessage();

    [GeneratedRegex(@"\b(?<op>INSERT(?=\s+INTO)|UPDATE|DELETE(?=\s+FROM))\s+(?:INTO\s+|FROM\s+)?(?:""?public""?\.)?""?(?<table>\w+)""?", RegexOptions.IgnoreCase)]
    private static partial Regex FirstWrite();

    [GeneratedRegex(@"\bSELECT\b", RegexOptions.IgnoreCase)]
    private static partial Regex FirstKeyword();
}
