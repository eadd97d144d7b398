using System.Diagnostics;
using Admin.Data.Live;
using Admin.TestSupport;
using Admin.Web.Features.Content;
using Admin.Web.Live;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Admin.Web.Tests.Content;

public sealed class PresenceTrackerTests
{
    private static readonly Guid Section = Guid.NewGuid();

    private sealed class ManualClock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 11, 22, 9, 0, 0, TimeSpan.Zero);
        public override DateTimeOffset GetUtcNow() => Now;
    }

    private static LiveEvent Presence(string actor, string kind, Guid? section = null) =>
        new(PresenceTracker.Topic, (section ?? Section).ToString(), kind, actor);

    [Fact]
    public void Editors_appear_on_open_and_leave_on_closed_raising_a_change_only_when_the_set_changes()
    {
        var tracker = new PresenceTracker(new LiveBus(NullLogger<LiveBus>.Instance), new ManualClock());
        var changes = new List<Guid>();
        tracker.Changed += changes.Add;

        tracker.Apply(Presence("b@test.local", PresenceTracker.Open));
        tracker.Apply(Presence("a@test.local", PresenceTracker.Open));
        tracker.Apply(Presence("a@test.local", PresenceTracker.Open)); // a heartbeat: nothing new
        Assert.Equal(["a@test.local", "b@test.local"], tracker.EditorsOf(Section));
        Assert.Equal(2, changes.Count);

        tracker.Apply(Presence("a@test.local", PresenceTracker.Closed));
        Assert.Equal(["b@test.local"], tracker.EditorsOf(Section));
        Assert.Equal(3, changes.Count);
        Assert.Empty(tracker.EditorsOf(Guid.NewGuid()));
    }

    [Fact]
    public void An_editor_whose_heartbeats_stop_drops_out_after_the_expiry()
    {
        var clock = new ManualClock();
        var tracker = new PresenceTracker(new LiveBus(NullLogger<LiveBus>.Instance), clock);
        var changes = new List<Guid>();
        tracker.Changed += changes.Add;
        tracker.Apply(Presence("gone@test.local", PresenceTracker.Open));
        tracker.Apply(Presence("here@test.local", PresenceTracker.Open));

        clock.Now += PresenceTracker.Expiry - TimeSpan.FromSeconds(5);
        tracker.Apply(Presence("here@test.local", PresenceTracker.Open));
        clock.Now += TimeSpan.FromSeconds(10);
        Assert.Equal(["here@test.local"], tracker.EditorsOf(Section));

        changes.Clear();
        tracker.Prune();
        Assert.Equal([Section], changes);
    }

    [Fact]
    public void Events_without_an_actor_or_a_section_id_and_other_kinds_are_ignored()
    {
        var tracker = new PresenceTracker(new LiveBus(NullLogger<LiveBus>.Instance), new ManualClock());
        tracker.Apply(new LiveEvent(PresenceTracker.Topic, Section.ToString(), PresenceTracker.Open, null));
        tracker.Apply(new LiveEvent(PresenceTracker.Topic, "not-a-guid", PresenceTracker.Open, "x@test.local"));
        tracker.Apply(Presence("x@test.local", "typing"));
        tracker.Apply(LiveEvent.Resync(DateTimeOffset.UtcNow));
        Assert.Empty(tracker.EditorsOf(Section));
    }

    [Fact]
    public async Task A_heartbeat_sent_through_postgresql_reaches_the_tracker_of_every_app_instance_with_the_senders_email()
    {
        await using var db = await TestDatabase.CreateAsync();
        await using var first = new AdminAppFactory(db, demoSeed: false);
        await using var second = new AdminAppFactory(db, demoSeed: false);
        _ = first.Server;
        _ = second.Server;
        var section = Guid.NewGuid();
        var trackers = new[] { first, second }.Select(f => f.Services.GetRequiredService<PresenceTracker>()).ToList();
        await WaitConnectedAsync(first);
        await WaitConnectedAsync(second);

        // What an open editor does: NOTIFY through a context whose session carries the user; the actor is their email.
        await using (var context = db.CreateAppContext(ContentFixtures.OtherEditor))
            await LiveNotifier.NotifyAsync(context, PresenceTracker.Topic, section.ToString(), PresenceTracker.Open);

        await EventuallyAsync(() => trackers.All(t => t.EditorsOf(section).SequenceEqual([ContentFixtures.OtherEditor.Email!])));

        await using (var context = db.CreateAppContext(ContentFixtures.OtherEditor))
            await LiveNotifier.NotifyAsync(context, PresenceTracker.Topic, section.ToString(), PresenceTracker.Closed);

        await EventuallyAsync(() => trackers.All(t => t.EditorsOf(section).Count == 0));
    }

    private static async Task WaitConnectedAsync(AdminAppFactory factory) =>
        await EventuallyAsync(() => factory.Services.GetRequiredService<LiveBus>().State == ListenerState.Connected);

    private static async Task EventuallyAsync(Func<bool> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(10)) Assert.Fail("The condition did not become true within 10 s.");
            await Task.Delay(20);
        }
    }
}
