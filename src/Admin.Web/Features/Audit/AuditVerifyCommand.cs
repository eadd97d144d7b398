using Admin.Data.Audit;
using Npgsql;

namespace Admin.Web.Features.Audit;

/// <summary>`./admin audit verify`: recomputes the audit hash chain and prints what it found (exit code 1 when broken).</summary>
public static class AuditVerifyCommand
{
    public static async Task<bool> RunAsync(IServiceProvider services)
    {
        var report = await AuditChainVerifier.VerifyAsync(services.GetRequiredService<NpgsqlDataSource>());
        Console.WriteLine($"Audit chain: {report.Verified:N0} rows verified (sequence {report.FirstSeq:N0} to {report.HeadSeq:N0})" +
                          (report.ArchivedThrough > 0 ? $", rows up to {report.ArchivedThrough:N0} archived" : "") +
                          (report.Unchained > 0 ? $", {report.Unchained:N0} rows written before the chain began" : ""));
        Console.WriteLine($"Head hash: {report.HeadHash}  (keep it elsewhere: a later verification must extend it)");
        if (report.Intact)
        {
            Console.WriteLine("INTACT: every row matches its hash and no row is missing.");
            return true;
        }
        Console.WriteLine($"BROKEN: {report.Problems.Count} problem(s){(report.Problems.Count >= 20 ? " (first 20)" : "")}:");
        foreach (var p in report.Problems)
            Console.WriteLine($"  seq {p.Seq}{(p.EventId is { } id ? $" (event {id}, {p.OccurredAt:yyyy-MM-dd HH:mm:ss} UTC)" : "")}: {p.Problem}");
        return false;
    }
}
