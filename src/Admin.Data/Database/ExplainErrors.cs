using Npgsql;

namespace Admin.Data.Database;

/// <summary>
/// What a DBA is told when PostgreSQL refuses or fails a statement EXPLAIN was given. PostgreSQL's own message is shown
/// only when it comes from parsing, name lookup or the privilege check (it quotes the statement, not the data);
/// anything raised while running the statement (a cast of a row's value, a constraint, a function's RAISE) may quote a
/// row, so it is explained from its SQLSTATE alone.
/// </summary>
public static class ExplainErrors
{
    // Source files of PostgreSQL's parser, analyser, name lookup, privilege checks and protocol handling (postgres.c:
    // "cannot insert multiple commands into a prepared statement"): with a 42xxx SQLSTATE their messages are about the
    // statement's text and the catalog, never about a row.
    private static readonly string[] StatementFiles =
        ["scan.l", "gram.y", "parser.c", "analyze.c", "namespace.c", "aclchk.c", "prepare.c", "explain.c", "postgres.c", "parse_"];

    public static string Explain(PostgresException e)
    {
        var known = Plain(e);
        if (known is not null) return known;
        if (IsAboutTheStatement(e))
            return $"PostgreSQL could not explain this statement: {e.MessageText}{(e.Position > 0 ? $" (at character {e.Position})" : "")}.";
        return ByClass(e.SqlState);
    }

    /// <summary>Whether the error came from reading the statement rather than from running it.</summary>
    public static bool IsAboutTheStatement(PostgresException e) =>
        e.SqlState.StartsWith("42", StringComparison.Ordinal) && e.File is { } file
        && StatementFiles.Any(f => file.StartsWith(f, StringComparison.Ordinal));

    private static string? Plain(PostgresException e) => e.SqlState switch
    {
        PostgresErrorCodes.ReadOnlySqlTransaction =>
            "PostgreSQL refused: the statement would change data, and EXPLAIN runs read-only here. Nothing was changed.",
        PostgresErrorCodes.QueryCanceled =>
            $"The statement ran longer than {MonitoringTargets.ExplainTimeout.TotalSeconds:0} seconds and was cancelled. Explain it without ANALYZE to see the plan.",
        PostgresErrorCodes.LockNotAvailable =>
            "The statement waited too long for a lock another session holds, and was stopped. Nothing was changed.",
        PostgresErrorCodes.InsufficientPrivilege when IsAboutTheStatement(e) =>
            $"EXPLAIN runs as a role that reads what DBAs read and writes nothing: {e.MessageText}. Statements that write, or read tables DBAs do not read (deployments, API tokens, users), cannot be explained here.",
        PostgresErrorCodes.InsufficientPrivilege =>
            "EXPLAIN runs as a role that reads what DBAs read and writes nothing, and the statement needed more.",
        PostgresErrorCodes.IndeterminateDatatype when IsAboutTheStatement(e) =>
            $"PostgreSQL cannot tell the type of a placeholder ({e.MessageText}); replace it with a typed value, e.g. $1::int → 42.",
        PostgresErrorCodes.InvalidPassword or PostgresErrorCodes.InvalidAuthorizationSpecification =>
            "The explain role could not sign in to this server: check its connection string (docs/database.md, \"The explain role\").",
        PostgresErrorCodes.TooManyConnections =>
            "Too many EXPLAINs are running on this server at once (the explain role's connection limit). Try again in a moment.",
        _ => null,
    };

    private static string ByClass(string sqlState) => sqlState[..2] switch
    {
        "22" => "A value could not be converted or computed (a data exception). The value is not shown, because it may come from a row; check the statement's literals and casts against the column types.",
        "23" => "A constraint was violated. The row is not shown.",
        "25" => "The statement is not allowed in EXPLAIN's read-only transaction. Nothing was changed.",
        "0A" => "The statement uses a feature PostgreSQL does not support here.",
        "40" => "PostgreSQL rolled the statement back (serialization failure or deadlock). Try again.",
        "42" => "PostgreSQL refused the statement while running it. The message is not shown, because it may quote a row.",
        "53" => "The server ran out of a resource (memory, disk or connections) running the statement.",
        "54" => "The statement exceeds one of PostgreSQL's limits (too complex or too large).",
        "55" => "An object the statement needs is not in a state to be used (e.g. locked or being changed).",
        "57" => "The statement was cancelled or the server is shutting down.",
        "P0" => "A function the statement calls raised an error. Its message is not shown, because it may quote a row.",
        "XX" => "PostgreSQL hit an internal error running the statement.",
        _ => "PostgreSQL could not explain this statement. The message is not shown, because it may quote a row.",
    };
}
