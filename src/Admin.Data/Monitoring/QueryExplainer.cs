using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Npgsql;

namespace Admin.Data.Monitoring;

/// <summary>A plan as PostgreSQL printed it, with the figures a DBA looks at first.</summary>
public sealed record ExplainResult(IReadOnlyList<string> Lines, bool Analyzed, bool Generic, double? TotalCost, double? PlanningMs, double? ExecutionMs);

/// <summary>A statement EXPLAIN will not run, with the reason in plain words.</summary>
public sealed class ExplainRefusedException(string message) : Exception(message);

/// <summary>
/// EXPLAIN for a statement a DBA pastes or picks from pg_stat_statements. Everything runs inside a READ ONLY
/// transaction that is always rolled back, with a statement timeout, so even EXPLAIN ANALYZE cannot change data:
/// PostgreSQL itself refuses any write. ANALYZE is accepted only for read-only statement kinds (SELECT, VALUES, TABLE,
/// and WITH without a data-modifying part); normalised statements with $1… placeholders get the generic plan (values
/// unknown) via PREPARE under plan_cache_mode = force_generic_plan, and cannot be analyzed.
/// </summary>
public static partial class QueryExplainer
{
    public static readonly TimeSpan AnalyzeTimeout = TimeSpan.FromSeconds(30);
    private const string PreparedName = "admin_explain_statement";

    private static readonly string[] Explainable = ["SELECT", "WITH", "VALUES", "TABLE", "INSERT", "UPDATE", "DELETE", "MERGE"];
    private static readonly string[] ReadOnly = ["SELECT", "WITH", "VALUES", "TABLE"];

    public static async Task<ExplainResult> ExplainAsync(NpgsqlDataSource dataSource, string sql, bool analyze, CancellationToken ct = default)
    {
        var statement = Validate(sql, analyze, out var parameters);
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        try
        {
            await Execute(connection, $"SET TRANSACTION READ ONLY; SET LOCAL statement_timeout = {(int)AnalyzeTimeout.TotalMilliseconds}", ct);
            var options = analyze ? "ANALYZE, BUFFERS, VERBOSE" : "VERBOSE";
            string explain;
            if (parameters > 0)
            {
                await Execute(connection, "SET LOCAL plan_cache_mode = force_generic_plan", ct);
                await Execute(connection, $"PREPARE {PreparedName} AS {statement}", ct);
                explain = $"EXPLAIN ({options}) EXECUTE {PreparedName}({string.Join(", ", Enumerable.Repeat("NULL", parameters))})";
            }
            else explain = $"EXPLAIN ({options}) {statement}";

            var lines = new List<string>();
            await using (var command = new NpgsqlCommand(explain, connection, tx))
            await using (var r = await command.ExecuteReaderAsync(ct))
                while (await r.ReadAsync(ct)) lines.Add(r.GetString(0));
            return Summarise(lines, analyze, parameters > 0);
        }
        catch (PostgresException e)
        {
            throw new ExplainRefusedException(Describe(e));
        }
        finally
        {
            // The prepared statement belongs to the session, not the transaction: drop it before the pool reuses it.
            if (connection.FullState == System.Data.ConnectionState.Open)
            {
                try { await tx.RollbackAsync(CancellationToken.None); } catch (NpgsqlException) { }
                if (parameters > 0)
                    try { await Execute(connection, $"DEALLOCATE IF EXISTS {PreparedName}", CancellationToken.None); } catch (NpgsqlException) { }
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

    private static string Describe(PostgresException e) => e.SqlState switch
    {
        PostgresErrorCodes.ReadOnlySqlTransaction => "PostgreSQL refused: the statement would change data, and EXPLAIN runs read-only here. Nothing was changed.",
        PostgresErrorCodes.QueryCanceled => $"The statement ran longer than {AnalyzeTimeout.TotalSeconds:0} seconds and was cancelled. Explain it without ANALYZE to see the plan.",
        PostgresErrorCodes.InsufficientPrivilege => $"The monitoring role may not read what this statement reads: {e.MessageText}.",
        PostgresErrorCodes.IndeterminateDatatype => $"PostgreSQL cannot tell the type of a placeholder ({e.MessageText}); replace it with a typed value, e.g. $1::int → 42.",
        _ => $"PostgreSQL could not explain this statement: {e.MessageText}{(e.Position > 0 ? $" (at character {e.Position})" : "")}.",
    };

    private static async Task Execute(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection);
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
