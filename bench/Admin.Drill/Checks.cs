using System.Text;
using Admin.Data.Audit;
using Admin.Data.Content;
using Admin.TestSupport;
using Npgsql;

namespace Admin.Drill;

/// <summary>The drill's verdict: what the database holds against what the clients were told, and when errors happened.</summary>
internal static class DrillChecks
{
    /// <summary>Write paths whose recovery is timed after each fault (first success that started after the fault ended).</summary>
    private static readonly string[] WriteKinds = ["status", "create", "save"];

    public static async Task<DrillResult> CheckAsync(DrillOptions options, TemporaryCluster cluster, NpgsqlDataSource appData, Journal journal,
        IReadOnlyList<Check> browserChecks, List<(double At, string? Stamp)> stamps, Action<string> log)
    {
        var checks = new List<Check>();
        var acks = journal.Acks.ToList();
        var faults = journal.Faults;
        var grace = options.Grace.TotalSeconds;

        // ---- every acknowledged write is in the database
        var lost = new Dictionary<string, (int Acked, List<string> Missing)>();
        void Count(string what, bool present, string detail)
        {
            if (!lost.TryGetValue(what, out var entry)) lost[what] = entry = (0, []);
            lost[what] = (entry.Acked + 1, entry.Missing);
            if (!present) entry.Missing.Add(detail);
        }
        await using (var super = new NpgsqlConnection(cluster.ConnectionString("admin", tweak: b => b.Pooling = false)))
        {
            await super.OpenAsync();
            var deployments = (await RowsAsync(super, "SELECT external_id FROM deployments WHERE service = 'drill-shop'", r => r.GetString(0))).ToHashSet();
            var history = (await RowsAsync(super, """
                SELECT d.external_id || '|' || h.status || '|' || coalesce(h.message, '') FROM deployment_status_history h
                JOIN deployments d ON d.id = h.deployment_id WHERE d.service = 'drill-shop'
                """, r => r.GetString(0))).ToHashSet();
            var approved = (await RowsAsync(super, "SELECT deployment_id FROM deployment_status_history WHERE status = 'approved'", r => r.GetInt64(0))).ToHashSet();
            var versions = (await RowsAsync(super, "SELECT section_id::text || '/' || version_number FROM section_versions", r => r.GetString(0))).ToHashSet();
            var published = (await RowsAsync(super,
                $"SELECT record_id || '/' || (new_data->>'version') FROM audit_events WHERE action = '{ContentAuditActions.Published}'", r => r.GetString(0))).ToHashSet();
            foreach (var ack in acks)
            {
                switch (ack)
                {
                    case Ack.DeploymentCreated d: Count("deployments created", deployments.Contains(d.ExternalId), d.ExternalId); break;
                    case Ack.StatusPosted s: Count("status posts (with their history row)", history.Contains($"{s.ExternalId}|{s.Status}|{s.Message}"), s.Message); break;
                    case Ack.Approved a: Count("approvals", approved.Contains(a.DeploymentId), $"deployment {a.DeploymentId}"); break;
                    case Ack.VersionSaved v: Count("section versions", versions.Contains($"{v.SectionId}/{v.Number}"), $"{v.SectionId} v{v.Number}"); break;
                    case Ack.Published p: Count("publishes (audit row)", published.Contains($"{p.SectionId}/{p.Number}"), $"{p.SectionId} v{p.Number}"); break;
                    case Ack.Scheduled s: Count("schedules", true, ""); break;
                }
            }

            // ---- every schedule fired exactly once
            var scheduleIds = acks.OfType<Ack.Scheduled>().Select(s => s.ScheduleId).ToArray();
            await using var schedules = new NpgsqlCommand($"""
                SELECT s.id, s.status,
                       (SELECT count(*) FROM audit_events a WHERE a.action = '{ContentAuditActions.SchedulePublished}' AND a.new_data->>'scheduleId' = s.id::text),
                       (SELECT count(*) FROM audit_events a WHERE a.action = '{ContentAuditActions.ScheduleCancelled}' AND a.new_data->>'scheduleId' = s.id::text)
                  FROM section_schedules s WHERE s.id = ANY($1)
                """, super);
            schedules.Parameters.Add(new NpgsqlParameter { Value = scheduleIds });
            var seen = 0;
            var wrong = new List<string>();
            await using (var r = await schedules.ExecuteReaderAsync())
                while (await r.ReadAsync())
                {
                    seen++;
                    var (status, fired, cancelled) = (r.GetString(1), r.GetInt64(2), r.GetInt64(3));
                    if (status != ScheduleStatuses.Active || fired != 1 || cancelled != 0)
                        wrong.Add($"{r.GetGuid(0)}: {status}, published {fired}×, cancelled {cancelled}×");
                }
            if (seen != scheduleIds.Length) wrong.Add($"{scheduleIds.Length - seen} acknowledged schedule(s) missing");
            checks.Add(new Check("every schedule fired exactly once", wrong.Count == 0 && scheduleIds.Length > 0,
                wrong.Count == 0 ? $"{scheduleIds.Length} schedules, each published once by the instances' workers" : string.Join("; ", wrong.Take(5))));
        }

        // ---- the audit chain verifies (what ./admin audit verify runs)
        var chain = await AuditChainVerifier.VerifyAsync(appData);
        checks.Add(new Check("audit chain verifies (AuditChainVerifier)", chain.Intact,
            chain.Intact ? $"{chain.Verified:N0} rows, head {chain.HeadSeq}" : string.Join("; ", chain.Problems.Take(3).Select(p => $"seq {p.Seq}: {p.Problem}"))));

        // ---- errors only inside fault windows (+ grace); never a 500 outside them
        var attempts = journal.Attempts.ToList();
        bool Inside(Attempt a) => faults.Any(f => a.Start <= f.End + grace && a.End >= f.Start);
        var errors = attempts.Where(a => !a.Ok).ToList();
        var outside = errors.Where(a => !Inside(a)).ToList();
        var fiveHundreds = errors.Where(a => a.Status == 500).ToList();
        checks.Add(new Check($"errors only inside fault windows (+ {grace:0} s grace)", outside.Count == 0,
            outside.Count == 0
                ? $"{attempts.Count:N0} calls, {errors.Count} failed, all inside a window"
                : $"{outside.Count} outside, e.g. " + string.Join("; ", outside.Take(3).Select(a => $"{a.Kind} at {a.Start:0.0} s: {a.Status?.ToString() ?? ""} {a.Error}"))));
        var fiveHundredsOutside = fiveHundreds.Where(a => !Inside(a)).ToList();
        checks.Add(new Check("no HTTP 500 outside fault windows", fiveHundredsOutside.Count == 0,
            (fiveHundredsOutside.Count == 0 ? "none" : $"{fiveHundredsOutside.Count}, e.g. {fiveHundredsOutside[0].Kind} at {fiveHundredsOutside[0].Start:0.0} s")
            + (fiveHundreds.Count > fiveHundredsOutside.Count
                ? $"; inside windows {fiveHundreds.Count - fiveHundredsOutside.Count} (a finding: an outage should be a 503): "
                  + string.Join(", ", fiveHundreds.Where(Inside).GroupBy(a => a.Kind).Select(g => $"{g.Count()} {g.Key} at {string.Join("/", g.Select(a => a.Start.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture)).Distinct().Take(3))} s"))
                : "")));

        // ---- time to recover after each fault: the first success of every write path that started after it ended
        var recoveries = new List<(FaultWindow Fault, double? Seconds, int Errors)>();
        foreach (var fault in faults)
        {
            var firsts = WriteKinds.Select(kind => attempts.Where(a => a.Kind == kind && a.Ok && a.Start >= fault.End).Select(a => (double?)a.End).Min())
                .ToList();
            var recovered = firsts.All(f => f is not null) ? firsts.Max() - fault.End : null;
            recoveries.Add((fault, recovered, errors.Count(a => a.Start <= fault.End + grace && a.End >= fault.Start)));
        }
        checks.Add(new Check("every write path recovers after each fault", recoveries.All(r => r.Seconds is not null),
            string.Join("; ", recoveries.Select(r => $"{r.Fault.Name}: {(r.Seconds is { } s ? FaultDrill.Seconds(s) : "never")}"))));

        checks.AddRange(browserChecks);
        var reconnect = browserChecks.FirstOrDefault(c => c.Name.StartsWith("browser", StringComparison.Ordinal));
        if (options.Browser)
        {
            var lastFault = faults.Count == 0 ? 0 : faults.Max(f => f.End);
            List<string> after;
            lock (stamps) after = stamps.Where(s => s.At > lastFault + 5 && s.Stamp is not null).Select(s => s.Stamp!).Distinct().ToList();
            checks.Add(new Check("DBA Activity panel updates live after the faults", after.Count >= 2,
                after.Count >= 2 ? $"{after.Count} different refreshes read after the last fault (e.g. \"{after[^1]}\")" : $"read: {string.Join(" | ", after)}"));
        }

        // ---- print
        var acknowledged = lost.Values.Sum(v => v.Acked);
        var lostCount = lost.Values.Sum(v => v.Missing.Count);
        log("");
        log("fault windows and recovery:");
        foreach (var (fault, seconds, count) in recoveries)
            log($"  {fault.Name,-34} {fault.Start,6:0.0} – {fault.End,6:0.0} s  {count,4} failed calls   recovered {(seconds is { } s ? FaultDrill.Seconds(s) : "never")} after");
        log("acknowledged writes:");
        foreach (var (what, (acked, missing)) in lost)
            log($"  {what,-40} {acked,6} acknowledged, {missing.Count} lost{(missing.Count > 0 ? " (e.g. " + string.Join(", ", missing.Take(3)) + ")" : "")}");
        log("calls by kind (failed inside windows / outside):");
        foreach (var kind in attempts.GroupBy(a => a.Kind).OrderBy(g => g.Key))
            log($"  {kind.Key,-16} {kind.Count(),6} calls, {kind.Count(a => !a.Ok && Inside(a))} / {kind.Count(a => !a.Ok && !Inside(a))}");
        log("checks:");
        foreach (var check in checks) log($"  {(check.Passed ? "PASS" : "FAIL")} {check.Name}: {check.Detail}");

        var summary = new StringBuilder($"drill: {acknowledged} writes acknowledged, {lostCount} lost");
        summary.Append($", {acks.OfType<Ack.Scheduled>().Count()} schedules fired once: {(checks.Single(c => c.Name.StartsWith("every schedule", StringComparison.Ordinal)).Passed ? "yes" : "NO")}");
        summary.Append($", audit chain {(chain.Intact ? "intact" : "BROKEN")}");
        summary.Append($", {outside.Count} errors outside {faults.Count} fault windows (grace {grace:0} s), {fiveHundredsOutside.Count} HTTP 500 outside ({fiveHundreds.Count - fiveHundredsOutside.Count} inside)");
        summary.Append($", recovery ≤ {(recoveries.All(r => r.Seconds is not null) ? FaultDrill.Seconds(recoveries.Max(r => r.Seconds!.Value)) : "never")}");
        if (reconnect is not null) summary.Append($", browser reconnected to another instance: {(reconnect.Passed ? "yes" : "NO")}");
        if (browserChecks.FirstOrDefault(c => c.Name == EditorWatch.CheckName) is { } edit)
            summary.Append($", unsaved edit restored after the kill: {(edit.Passed ? "yes" : "NO")}");
        summary.Append($", {options.Instances} instances behind nginx");
        var failedChecks = checks.Count(c => !c.Passed);
        if (failedChecks > 0) summary.Append($"; {failedChecks} check(s) FAILED");
        return new DrillResult(acknowledged, lostCount, checks, summary.ToString());
    }

    private static async Task<List<T>> RowsAsync<T>(NpgsqlConnection connection, string sql, Func<NpgsqlDataReader, T> read)
    {
        var rows = new List<T>();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) rows.Add(read(reader));
        return rows;
    }
}
