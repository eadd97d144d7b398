using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Npgsql;

namespace Admin.Data.Database;

/// <summary>A plan as PostgreSQL printed it, with the figures a DBA looks at first.</summary>
public sealed record ExplainResult(IReadOnlyList<string> Lines, bool Analyzed, bool Generic, double? TotalCost, double? PlanningMs, double? ExecutionMs);

/// <summary>A statement EXPLAIN will not run, with the reason in plain words.</summary>
public sealed class ExplainRefusedException(string message) : Exception(message);

/// <summary>
/// EXPLAIN for a statement a DBA pastes or picks from pg_stat_statements. What guards the database is not this class's
/// reading of the statement but PostgreSQL:
/// <list type="bullet">
/// <item>exactly one statement: the text goes to the server as one extended-protocol Parse (an <see cref="NpgsqlBatch"/>
/// of one command), which PostgreSQL refuses when it holds more than one statement, whatever quoting or comments hide
/// the semicolon;</item>
/// <item>a login role of its own (admin_explain, see src/Admin.Data/Setup/roles.sql): no write grant, no signal or
/// advisory-lock functions, reads only what a DBA reads, by policies that read no setting;</item>
/// <item>a READ ONLY transaction that is always rolled back, with statement and lock timeouts;</item>
/// <item>a new, unpooled session that is discarded and closed after the call, so no advisory lock, setting, prepared
/// statement or temporary table outlives it.</item>
/// </list>
/// <see cref="Validate"/> still reads the statement first, but only to give advice in plain words (one statement,
/// read-only kinds for ANALYZE, real values for placeholders). Errors come back as the SQLSTATE and an explanation;
/// PostgreSQL's own message is shown only when it is about the statement's text, never when it could quote a row.
/// Normalised statements with $1… placeholders get the generic plan via PREPARE under plan_cache_mode =
/// force_generic_plan.
/// </summary>
public static partial class QueryExplainer
{
    public static TimeSpan AnalyzeTimeout => MonitoringTargets.ExplainTimeout;
    private const string PreparedName = "admin_explain_statement";

    private static readonly string[] Explainable = ["SELECT", "WITH", "VALUES", "TABLE", "INSERT", "UPDATE", "DELETE", "MERGE"];
    private static readonly string[] ReadOnly = ["SELECT", "WITH", "VALUES", "TABLE"];

    /// <summary>EXPLAIN on a target, through its explain connection; refused in plain words when it has none.</summary>
    public static Task<ExplainResult> ExplainAsync(MonitoringTarget target, string sql, bool analyze, CancellationToken ct = default) =>
        target.ExplainSource is { } source
            ? ExplainAsync(source, sql, analyze, ct)
            : throw new ExplainRefusedException(
                $"EXPLAIN on {target.Name} has no connection of its own: set {ExplainSetting(target.Name)} to a role made for it (docs/database.md, \"The explain role\").");

    /// <summary>The setting that names a target's explain connection.</summary>
    public static string ExplainSetting(string target) =>
        target == MonitoringTarget.ConsoleTargetName ? "ConnectionStrings:AdminExplain" : $"Monitoring:Explain:{target}";

    public static async Task<ExplainResult> ExplainAsync(NpgsqlDataSource explainSource, string sql, bool analyze, CancellationToken ct = default)
    {
        var statement = Validate(sql, analyze, out var parameters);
        return await RunAsync(explainSource, statement, analyze, parameters, ct);
    }

    /// <summary>
    /// The guarded part alone, without <see cref="Validate"/>'s advice: what stands between any text and the database.
    /// Public so that tests can prove the guard holds on its own.
    /// </summary>
    public static async Task<ExplainResult> RunAsync(NpgsqlDataSource explainSource, string statement, bool analyze, int parameters, CancellationToken ct = default)
    {
        NpgsqlConnection connection;
        try
        {
            connection = await explainSource.OpenConnectionAsync(ct);
        }
        catch (PostgresException e)
        {
            throw new ExplainRefusedException(Describe(e));
        }
        await using var _ = connection;
        await using var tx = await connection.BeginTransactionAsync(ct);
        try
        {
            await Execute(connection, tx, $"SET TRANSACTION READ ONLY; SET LOCAL statement_timeout = {(int)AnalyzeTimeout.TotalMilliseconds}; SET LOCAL lock_timeout = 2000", ct);
            var options = analyze ? "ANALYZE, BUFFERS, VERBOSE" : "VERBOSE";
            string explain;
            if (parameters > 0)
            {
                await Execute(connection, tx, "SET LOCAL plan_cache_mode = force_generic_plan", ct);
                await ExecuteOne(connection, tx, $"PREPARE {PreparedName} AS {statement}", ct);
                explain = $"EXPLAIN ({options}) EXECUTE {PreparedName}({string.Join(", ", Enumerable.Repeat("NULL", parameters))})";
            }
            else explain = $"EXPLAIN ({options}) {statement}";

            var lines = new List<string>();
            await using (var batch = OneStatement(connection, tx, explain))
            await using (var r = await batch.ExecuteReaderAsync(ct))
                while (await r.ReadAsync(ct)) lines.Add(r.GetString(0));
            return Summarise(lines, analyze, parameters > 0);
        }
        catch (PostgresException e)
        {
            throw new ExplainRefusedException(Describe(e));
        }
        finally
        {
            // The session is closed right after (no pool), which ends everything it holds; DISCARD ALL first releases
            // advisory locks and drops temporary objects at once rather than when the backend gets round to exiting.
            if (connection.FullState == System.Data.ConnectionState.Open)
            {
                try { await tx.RollbackAsync(CancellationToken.None); } catch (NpgsqlException) { }
                try { await Execute(connection, null, "DISCARD ALL", CancellationToken.None); } catch (NpgsqlException) { }
            }
        }
    }

    /// <summary>The statement without trailing semicolons; refuses what EXPLAIN must not run.</summary>
    public static string Validate(string sql, bool analyze, out int parameters)
    {
        var statement = StripTrailing(sql ?? "");
        if (statement.Length == 0) throw new ExplainRefusedException("Paste or pick a statement to explain.");
        var scan = Scan(statement);
        if (scan.HasSemicolon)
            throw new ExplainRefusedException("Only one statement at a time: remove the semicolons between statements.");
        var keyword = scan.FirstWord.ToUpperInvariant();
        if (!Explainable.Contains(keyword))
            throw new ExplainRefusedException($"EXPLAIN works on SELECT, INSERT, UPDATE, DELETE, MERGE, VALUES, TABLE and WITH statements, not {scan.FirstWord}.");
        parameters = scan.MaxParameter;
        if (!analyze) return statement;
        if (!ReadOnly.Contains(keyword) || keyword == "WITH" && scan.ModifiesData)
            throw new ExplainRefusedException("EXPLAIN ANALYZE runs the statement, so it is offered for read-only statements only (SELECT, VALUES, TABLE, WITH without INSERT/UPDATE/DELETE). Use EXPLAIN without ANALYZE for this one.");
        // SELECT … INTO creates a table, and PostgreSQL lets EXPLAIN ANALYZE of it through a READ ONLY transaction.
        if (scan.CreatesTable)
            throw new ExplainRefusedException("EXPLAIN ANALYZE runs the statement, and SELECT … INTO creates a table: it is not a read-only statement. Use EXPLAIN without ANALYZE, or remove the INTO clause.");
        if (parameters > 0)
            throw new ExplainRefusedException($"EXPLAIN ANALYZE needs real values: replace the placeholders $1…${parameters} with values, or explain without ANALYZE to see the generic plan.");
        return statement;
    }

    private static ExplainResult Summarise(List<string> lines, bool analyzed, bool generic)
    {
        double? cost = null, planning = null, execution = null;
        if (lines.Count > 0 && CostPattern().Match(lines[0]) is { Success: true } m)
            cost = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        foreach (var line in lines)
        {
            if (TimingPattern().Match(line) is not { Success: true } t) continue;
            var ms = double.Parse(t.Groups[2].Value, CultureInfo.InvariantCulture);
            if (t.Groups[1].Value == "Planning") planning = ms; else execution = ms;
        }
        return new ExplainResult(lines, analyzed, generic, cost, planning, execution);
    }

    private static string Describe(PostgresException e) => $"{ExplainErrors.Explain(e)} (SQLSTATE {e.SqlState})";

    /// <summary>One statement, sent as one extended-protocol Parse: PostgreSQL refuses a text that holds more.</summary>
    private static NpgsqlBatch OneStatement(NpgsqlConnection connection, NpgsqlTransaction? tx, string sql) =>
        new(connection, tx) { BatchCommands = { new NpgsqlBatchCommand(sql) } };

    private static async Task ExecuteOne(NpgsqlConnection connection, NpgsqlTransaction? tx, string sql, CancellationToken ct)
    {
        await using var batch = OneStatement(connection, tx, sql);
        await batch.ExecuteNonQueryAsync(ct);
    }

    /// <summary>The class's own fixed commands (never a user's text).</summary>
    private static async Task Execute(NpgsqlConnection connection, NpgsqlTransaction? tx, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection, tx);
        await command.ExecuteNonQueryAsync(ct);
    }

    private static string StripTrailing(string sql)
    {
        var s = sql.Trim();
        while (s.EndsWith(';')) s = s[..^1].TrimEnd();
        return s;
    }

    private sealed record ScanResult(string FirstWord, bool HasSemicolon, int MaxParameter, bool ModifiesData, bool CreatesTable);

    /// <summary>Reads the statement outside quotes and comments: first keyword, semicolons, $n placeholders, DML words.</summary>
    private static ScanResult Scan(string sql)
    {
        var code = new StringBuilder(sql.Length);
        for (var i = 0; i < sql.Length;)
        {
            var c = sql[i];
            if (c == '-' && At(sql, i, "--")) { i = Skip(sql, i, "\n"); code.Append(' '); }
            else if (c == '/' && At(sql, i, "/*")) { i = Skip(sql, i + 2, "*/"); code.Append(' '); }
            else if (c is '\'' or '"') { i = Skip(sql, i + 1, c.ToString()); code.Append(' '); }
            else if (c == '$' && DollarTag().Match(sql, i) is { Success: true } tag && tag.Index == i) { i = Skip(sql, i + tag.Length, tag.Value); code.Append(' '); }
            else { code.Append(c); i++; }
        }
        var text = code.ToString();
        var first = FirstWordPattern().Match(text);
        var max = ParameterPattern().Matches(text).Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).DefaultIfEmpty(0).Max();
        return new ScanResult(first.Success ? first.Value : "", text.Contains(';'), max, DataModifying().IsMatch(text), Into().IsMatch(text));
    }

    private static bool At(string s, int i, string token) => string.CompareOrdinal(s, i, token, 0, token.Length) == 0;

    private static int Skip(string s, int from, string end)
    {
        var at = s.IndexOf(end, from, StringComparison.Ordinal);
        return at < 0 ? s.Length : at + end.Length;
    }

    [GeneratedRegex(@"cost=[\d.]+\.\.([\d.]+)")] private static partial Regex CostPattern();
    [GeneratedRegex(@"^\s*(Planning|Execution) Time: ([\d.]+) ms")] private static partial Regex TimingPattern();
    [GeneratedRegex(@"\$[A-Za-z_]*\$")] private static partial Regex DollarTag();
    [GeneratedRegex(@"[A-Za-z]+")] private static partial Regex FirstWordPattern();
    [GeneratedRegex(@"\$(\d+)")] private static partial Regex ParameterPattern();
    [GeneratedRegex(@"\b(INSERT|UPDATE|DELETE|MERGE)\b", RegexOptions.IgnoreCase)] private static partial Regex DataModifying();
    [GeneratedRegex(@"\bINTO\b", RegexOptions.IgnoreCase)] private static partial Regex Into();
}
