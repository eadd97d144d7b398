using Admin.Drill;
using Xunit.Abstractions;

namespace Admin.E2E;

/// <summary>
/// The short fault drill (what `./admin drill --short` runs): a PostgreSQL cluster of its own, two app instances behind
/// Debian's nginx, about a minute of load through nginx with a PostgreSQL restart, a kill -9 of the instance holding a
/// DBA's circuit (an editor's unsaved edit on that instance must be offered again on another), a kill -9 of every
/// process of the cluster and a freeze of the cluster. Needs nginx (`./admin drill` installs it).
/// </summary>
public sealed class FaultDrillTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_short_drill_loses_no_acknowledged_write_and_passes_every_check()
    {
        var result = await FaultDrill.RunAsync(DrillOptions.Short(output.WriteLine));
        output.WriteLine(result.Summary);

        Assert.True(result.Acknowledged > 500, $"the load was too thin to prove anything: {result.Summary}");
        Assert.Equal(0, result.Lost);
        Assert.All(result.Checks, c => Assert.True(c.Passed, $"{c.Name}: {c.Detail}"));
        // Every check the drill promises ran (a browser check silently missing would pass the line above).
        Assert.Equal(
        [
            "every schedule fired exactly once", "audit chain verifies (AuditChainVerifier)",
            "errors only inside fault windows (+ 10 s grace)", "no HTTP 500 outside fault windows",
            "every write path recovers after each fault", "sticky sessions keep a browser on one instance",
            "browser on the killed instance reconnects to another", "unsaved edit survives the instance kill",
            "DBA Activity panel updates live after the faults",
        ], result.Checks.Select(c => c.Name));
        Assert.StartsWith($"drill: {result.Acknowledged} writes acknowledged, 0 lost", result.Summary);
    }
}
