namespace Admin.Web.Features.Database;

/// <summary>How a plan line is marked: sequential scans and sorts that spill are what a DBA looks for first.</summary>
public static class ExplainLines
{
    public static string? Class(string line) =>
        line.Contains("Seq Scan", StringComparison.Ordinal) ? "db-plan-seq"
        : line.Contains("external merge", StringComparison.Ordinal) || line.Contains("Disk:", StringComparison.Ordinal) ? "db-plan-spill"
        : null;
}
