using Admin.Data.Database;
using Admin.TestSupport;
using Admin.Web.Features.Account;
using Admin.Web.Features.Database;
using Npgsql;

namespace Admin.Web.Tests.Database;

/// <summary>
/// An app with three more targets of their own: "primary" (a temporary cluster), "standby" (a pg_basebackup -R copy of
/// it, streaming through a slot), and "lone" (a cluster without any replication).
/// </summary>
public sealed class ReplicationWebAppFixture : WebAppFixture
{
    private TemporaryCluster _lone = null!;
    private Dictionary<string, string?> _settings = [];

    public TemporaryCluster Primary { get; private set; } = null!;
    public TemporaryCluster Standby { get; private set; } = null!;

    protected override IReadOnlyDictionary<string, string?> Settings => _settings;

    public override async Task InitializeAsync()
    {
        Primary = await TemporaryCluster.StartAsync("max_wal_senders = 5");
        await using (var super = new NpgsqlConnection(Primary.ConnectionString(tweak: b => b.Pooling = false)))
        {
            await super.OpenAsync();
            await super.ExecuteAsync("SELECT pg_create_physical_replication_slot('left_behind', true)");
        }
        Standby = await TemporaryCluster.StartFromBaseBackupAsync(Primary, "cluster_name = 'standby_web'", "-R", "-C", "-S", "standby_web_slot");
        _lone = await TemporaryCluster.StartAsync();
        _settings = new()
        {
            ["Monitoring:Targets:primary"] = Primary.ConnectionString(),
            ["Monitoring:Targets:standby"] = Standby.ConnectionString(),
            ["Monitoring:Targets:lone"] = _lone.ConnectionString(),
        };
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Standby.DisposeAsync();
        await Primary.DisposeAsync();
        await _lone.DisposeAsync();
    }
}

/// <summary>The Replication page on a real primary, its streaming standby and a server without replication.</summary>
public sealed class ReplicationWebTests(ReplicationWebAppFixture app) : IClassFixture<ReplicationWebAppFixture>
{
    private async Task<string> PageWhenAsync(string path, string expected)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var html = await app.PageAsync(path, AppRoles.Dba);
            if (html.Contains(expected) || DateTime.UtcNow > deadline) return html;
            await Task.Delay(300);
        }
    }

    [Fact]
    public async Task The_primary_lists_its_streaming_standby_and_flags_the_inactive_slot()
    {
        var html = await PageWhenAsync("/database/replication?target=primary", ">streaming<");

        Assert.Contains("data-standby=\"standby_web\"", html);
        Assert.Contains(">streaming<", html);
        Assert.Contains("data-slot=\"standby_web_slot\"", html);
        Assert.Contains("data-slot=\"left_behind\"", html);
        Assert.Contains("pg_drop_replication_slot('left_behind')", html);
        Assert.Contains(">inactive<", html);
        Assert.Contains("max_wal_size 1GB", html);
        Assert.DoesNotContain("target-problem", html);
        Assert.DoesNotContain("replication-none", html);
    }

    [Fact]
    public async Task The_standby_shows_its_upstream_and_replay_state()
    {
        var html = await PageWhenAsync("/database/replication?target=standby", "data-testid=\"upstream-status\">streaming<");

        Assert.Contains("standby (in recovery)", html);
        Assert.Contains($"127.0.0.1:{app.Primary.Port}", html);
        Assert.Contains("data-testid=\"upstream-status\">streaming<", html);
        Assert.Contains("standby_web_slot", html);
        Assert.Contains("data-testid=\"replay-delay\"", html);
    }

    [Fact]
    public async Task A_server_without_replication_says_so()
    {
        var html = await app.PageAsync("/database/replication?target=lone", AppRoles.Dba);

        Assert.Contains("data-testid=\"replication-none\"", html);
        Assert.Contains("This server has no replication", html);
        Assert.DoesNotContain("target-problem", html);
    }

    [Theory]
    [InlineData(AppRoles.Editor)]
    [InlineData(AppRoles.ReleaseManager)]
    public async Task The_page_is_refused_to_an_editor_and_a_release_manager(string role) =>
        await app.AssertRefusedAsync("/database/replication", role);

    [Fact]
    public void Slot_advice_and_replay_words_follow_the_state()
    {
        SlotStat Slot(bool active, string? walStatus, string? xmin = null) =>
            new("s1", "physical", null, null, false, active, null, null, null, "0/1", null, 1, walStatus, null, xmin, null);
        Assert.Equal(SlotConcern.None, Slot(true, "reserved").Concern);
        Assert.Equal(SlotConcern.Extended, Slot(true, "extended").Concern);
        Assert.Equal(SlotConcern.Inactive, Slot(false, "reserved").Concern);
        Assert.Contains("stops vacuum", Slot(false, "reserved", "1234").Advice);
        Assert.DoesNotContain("vacuum", Slot(false, "reserved").Advice);
        Assert.Equal(SlotConcern.Unreserved, Slot(false, "unreserved").Concern);
        Assert.Equal(SlotConcern.Lost, Slot(true, "lost").Concern);
        Assert.Contains("rebuild", Slot(false, "lost").Advice);
        Assert.Null(Slot(true, "reserved").Advice);

        var idle = new WalReceiverStat("streaming", "h", 5432, null, "0/5", null, "0/5", "0/5", 0, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(3), false);
        Assert.Contains("no activity on the primary", ReplicationState.ReplayDelayText(idle));
        Assert.Contains("behind", ReplicationState.ReplayDelayText(idle with { ReplayLsn = "0/4" }));
        Assert.Equal("db-dead-bad", ReplicationState.LagClass(TimeSpan.FromMinutes(6), 0));
        Assert.Equal("db-dead-warn", ReplicationState.LagClass(null, 20L << 20));
        Assert.Equal("", ReplicationState.LagClass(TimeSpan.FromMilliseconds(5), 100));
    }
}
