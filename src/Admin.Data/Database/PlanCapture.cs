using System.Globalization;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace Admin.Data.Database;

/// <summary>A plan auto_explain logged for one slow run of a statement, with EXPLAIN-style text lines made from its JSON.</summary>
public sealed record CapturedPlan(long Id, long? QueryId, string Statement, double DurationMs, DateTimeOffset LoggedAt, string PlanJson)
{
    public IReadOnlyList<string> Lines => CapturedPlanText.Lines(PlanJson);
}

/// <summary>A statement's captured plans, newest first, or why a target cannot provide any.</summary>
public sealed record CapturedPlansRead(IReadOnlyList<CapturedPlan> Plans, string? Unavailable);

/// <summary>
/// Captured plans (docs/database.md#captured-plans). On the console's own database the statistics sampler's leader
/// calls <see cref="CaptureAsync"/> after each sample: captured_plans_read (a SECURITY DEFINER function executable by the
/// app role only) returns the auto_explain records of this database written to the server's jsonlog since the stored
/// cursor, and they are stored with the cursor in one transaction, so each plan is kept once.
/// </summary>
public sealed class PlanCapture(NpgsqlDataSource console)
{
    public const int MaxPerStatement = 50;

    public const string OtherTarget =
        "Plans are captured on the console's own database only: auto_explain writes them to that server's log, which the console reads through a function installed in its own database.";

    private const string CapableSql = """
        SELECT current_setting('auto_explain.log_min_duration', true) IS DISTINCT FROM NULL
           AND current_setting('logging_collector') = 'on'
           AND 'jsonlog' = ANY (string_to_array(replace(current_setting('log_destination'), ' ', ''), ','))
           AND to_regprocedure('captured_plans_read(text,bigint,integer)') IS NOT NULL
           AND has_function_privilege('captured_plans_read(text,bigint,integer)', 'EXECUTE')
        """;

    /// <summary>Reads new plans from the log; returns how many were stored (0 where the server captures none).</summary>
    public async Task<int> CaptureAsync(string target = MonitoringTarget.ConsoleTargetName, CancellationToken ct = default)
    {
        await using var connection = await console.OpenConnectionAsync(ct);
        // Nothing to read (and no error in the server's log every minute) without auto_explain, a jsonlog or the function.
        await using (var able = new NpgsqlCommand(CapableSql, connection))
            if (!(bool)(await able.ExecuteScalarAsync(ct))!) return 0;
        await using var tx = await connection.BeginTransactionAsync(ct);
        string? file = null;
        long offset = 0;
        await using (var cursor = new NpgsqlCommand("SELECT log_file, log_offset FROM monitoring_plan_log_cursors WHERE target = @t FOR UPDATE", connection, tx))
        {
            cursor.Parameters.AddWithValue("t", target);
            await using var r = await cursor.ExecuteReaderAsync(ct);
            if (await r.ReadAsync(ct)) (file, offset) = (r.GetString(0), r.GetInt64(1));
        }

        var plans = new List<(string File, DateTimeOffset At, long? QueryId, double Ms, string Plan)>();
        (string File, long Offset)? end = null;
        await using (var read = new NpgsqlCommand("SELECT log_file, end_offset, logged_at, query_id, duration_ms, plan::text FROM captured_plans_read(@f, @o)", connection, tx))
        {
            read.Parameters.Add(new NpgsqlParameter("f", NpgsqlDbType.Text) { Value = (object?)file ?? DBNull.Value });
            read.Parameters.AddWithValue("o", offset);
            await using var r = await read.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
            {
                end = (r.GetString(0), r.GetInt64(1));
                if (!r.IsDBNull(5))
                    plans.Add((r.GetString(0), r.GetFieldValue<DateTimeOffset>(2), r.IsDBNull(3) ? null : r.GetInt64(3), r.GetDouble(4), r.GetString(5)));
            }
        }
        var stored = 0;
        foreach (var p in plans)
        {
            await using var insert = new NpgsqlCommand("""
                INSERT INTO monitoring_captured_plans (target, query_id, statement, duration_ms, plan, logged_at, log_file)
                VALUES (@t, @q, coalesce(@p::jsonb->>'Query Text', ''), @ms, @p::jsonb, @at, @f)
                ON CONFLICT DO NOTHING
                """, connection, tx);
            insert.Parameters.AddWithValue("t", target);
            insert.Parameters.Add(new NpgsqlParameter("q", NpgsqlDbType.Bigint) { Value = (object?)p.QueryId ?? DBNull.Value });
            insert.Parameters.AddWithValue("p", p.Plan);
            insert.Parameters.AddWithValue("ms", p.Ms);
            insert.Parameters.AddWithValue("at", p.At);
            insert.Parameters.AddWithValue("f", p.File);
            stored += await insert.ExecuteNonQueryAsync(ct);
        }
        if (end is { } e)
        {
            await using var save = new NpgsqlCommand("""
                INSERT INTO monitoring_plan_log_cursors (target, log_file, log_offset, read_at) VALUES (@t, @f, @o, now())
                ON CONFLICT (target) DO UPDATE SET log_file = excluded.log_file, log_offset = excluded.log_offset, read_at = excluded.read_at
                """, connection, tx);
            save.Parameters.AddWithValue("t", target);
            save.Parameters.AddWithValue("f", e.File);
            save.Parameters.AddWithValue("o", e.Offset);
            await save.ExecuteNonQueryAsync(ct);
        }
        await tx.CommitAsync(ct);
        return stored;
    }

    /// <summary>The statement's captured plans, newest first; for a target that cannot provide plans, why.</summary>
    public async Task<CapturedPlansRead> ForStatementAsync(MonitoringTarget target, long queryId, CancellationToken ct = default)
    {
        if (!string.Equals(target.Name, MonitoringTarget.ConsoleTargetName, StringComparison.OrdinalIgnoreCase))
            return new CapturedPlansRead([], OtherTarget);
        await using var connection = await console.OpenConnectionAsync(ct);
        var plans = new List<CapturedPlan>();
        await using (var command = new NpgsqlCommand("""
            SELECT id, query_id, statement, duration_ms, logged_at, plan::text FROM monitoring_captured_plans
            WHERE target = @t AND query_id = @q ORDER BY logged_at DESC LIMIT @n
            """, connection))
        {
            command.Parameters.AddWithValue("t", target.Name);
            command.Parameters.AddWithValue("q", queryId);
            command.Parameters.AddWithValue("n", MaxPerStatement);
            await using var r = await command.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
                plans.Add(new CapturedPlan(r.GetInt64(0), r.IsDBNull(1) ? null : r.GetInt64(1), r.GetString(2), r.GetDouble(3),
                    r.GetFieldValue<DateTimeOffset>(4), r.GetString(5)));
        }
        return new CapturedPlansRead(plans, plans.Count > 0 ? null : await UnavailableAsync(connection, ct));
    }

    /// <summary>Why this server captures no plans (auto_explain, jsonlog, query ids, the function), or null when it can.</summary>
    private static async Task<string?> UnavailableAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("""
            SELECT current_setting('auto_explain.log_min_duration', true), current_setting('log_destination'),
                   current_setting('logging_collector'), current_setting('compute_query_id'),
                   to_regprocedure('captured_plans_read(text,bigint,integer)') IS NOT NULL
                   AND has_function_privilege('captured_plans_read(text,bigint,integer)', 'EXECUTE')
            """, connection);
        await using var r = await command.ExecuteReaderAsync(ct);
        await r.ReadAsync(ct);
        var minDuration = r.IsDBNull(0) ? null : r.GetString(0);
        if (minDuration is null)
            return "auto_explain is not loaded on this server: add it to shared_preload_libraries and restart (docs/database.md#captured-plans).";
        if (minDuration == "-1")
            return "auto_explain is loaded but logs no plan: auto_explain.log_min_duration is -1.";
        if (!r.GetString(1).Split(',').Select(s => s.Trim()).Contains("jsonlog") || r.GetString(2) != "on")
            return "The server does not write a jsonlog: set logging_collector = on and add jsonlog to log_destination.";
        if (r.GetString(3) == "off")
            return "compute_query_id is off: logged plans carry no query id, so they cannot be matched to statements.";
        if (!r.GetBoolean(4))
            return "The console may not read captured plans: captured_plans_read is missing or not granted to its role (run the setup script, src/Admin.Data/Setup/database.sql).";
        return $"No plan captured for this statement: none of its runs took longer than auto_explain.log_min_duration ({minDuration}) while the plans were kept.";
    }
}

/// <summary>EXPLAIN-like text lines from an auto_explain JSON plan ({"Query Text": …, "Plan": {…}}).</summary>
public static class CapturedPlanText
{
    private static readonly string[] Details = ["Hash Cond", "Merge Cond", "Index Cond", "Recheck Cond", "Join Filter", "Filter", "Sort Key", "Group Key", "One-Time Filter"];

    public static IReadOnlyList<string> Lines(string planJson)
    {
        using var document = JsonDocument.Parse(planJson);
        var lines = new List<string>();
        if (document.RootElement.TryGetProperty("Plan", out var root)) Walk(root, 0, lines);
        return lines;
    }

    private static void Walk(JsonElement node, int depth, List<string> lines)
    {
        var head = depth == 0 ? "" : new string(' ', (depth - 1) * 6) + "  ->  ";
        var pad = new string(' ', depth == 0 ? 2 : depth * 6 + 2);
        var name = Text(node, "Node Type") ?? "?";
        if (Text(node, "Join Type") is { } join && name.EndsWith("Join", StringComparison.Ordinal) && join != "Inner")
            name = name[..^4] + join + " Join";
        if (Text(node, "Index Name") is { } index) name += $" using {index}";
        if (Text(node, "Relation Name") is { } relation)
            name += Text(node, "Alias") is { } alias && alias != relation ? $" on {relation} {alias}" : $" on {relation}";
        lines.Add($"{head}{name}  (cost={Number(node, "Startup Cost")}..{Number(node, "Total Cost")} rows={Number(node, "Plan Rows")} width={Number(node, "Plan Width")})");
        foreach (var key in Details)
            if (node.TryGetProperty(key, out var value))
                lines.Add($"{pad}{key}: {(value.ValueKind == JsonValueKind.Array ? string.Join(", ", value.EnumerateArray().Select(v => v.ToString())) : value.ToString())}");
        if (node.TryGetProperty("Plans", out var children))
            foreach (var child in children.EnumerateArray()) Walk(child, depth + 1, lines);
    }

    private static string? Text(JsonElement node, string key) =>
        node.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static string Number(JsonElement node, string key) =>
        node.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number
            ? (key.EndsWith("Cost", StringComparison.Ordinal) ? v.GetDouble().ToString("0.00", CultureInfo.InvariantCulture) : v.GetRawText())
            : "?";
}
