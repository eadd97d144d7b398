using Admin.Data.Releases;
using Admin.Data.Session;
using Admin.TestSupport;
using Npgsql;
using static Admin.TestSupport.ReleaseFixtures;

namespace Admin.Data.Tests.Releases;

/// <summary>
/// Scheduled deploys: only release managers schedule, only approved releases; the scheduler deploys a due release
/// exactly once however many instances run it, as the person who scheduled it; a deploy refused at its time, or a
/// person who lost the role, holds the schedule with the reason (audited, announced), and the release stays approved.
/// </summary>
public sealed class ReleaseScheduleTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>, IAsyncLifetime
{
    private TestDatabase Db => fixture.Database;
    private ReleaseService EditorService => Db.ReleaseService(Editor);
    private ReleaseService ManagerService => Db.ReleaseService(Manager);

    public async Task InitializeAsync()
    {
        await Db.SeedReferenceAsync();
        await GrantAsync(Manager, "ReleaseManager");
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private static string Key() => "k" + Guid.NewGuid().ToString("N")[..10];

    /// <summary>The identity rows the scheduler reads the person's roles from.</summary>
    private async Task GrantAsync(SessionContext user, string role)
    {
        await using var owner = await Db.OpenAsync(TestPostgres.OwnerRole);
        await owner.ExecuteAsync($"""
            INSERT INTO users (id, user_name, email, display_name, is_disabled, created_at, email_confirmed, phone_number_confirmed,
                               two_factor_enabled, lockout_enabled, access_failed_count)
            VALUES ('{user.UserId}', '{user.Email}', '{user.Email}', '{user.Email}', false, now(), true, false, false, false, 0)
            ON CONFLICT (id) DO NOTHING;
            INSERT INTO roles (id, name, normalized_name) SELECT gen_random_uuid(), '{role}', upper('{role}') WHERE NOT EXISTS (SELECT 1 FROM roles WHERE name = '{role}');
            INSERT INTO user_roles (user_id, role_id) SELECT '{user.UserId}', id FROM roles WHERE name = '{role}' ON CONFLICT DO NOTHING;
            """);
    }

    /// <summary>Schedules the release a moment ahead (the service refuses the past) and waits until it is due.</summary>
    private async Task ScheduleDueAsync(ReleaseService service, long id)
    {
        await service.ScheduleAsync(id, DateTimeOffset.UtcNow.AddMilliseconds(400), TimeProvider.System);
        await Task.Delay(600);
    }

    private async Task<NpgsqlConnection> OpenAsAsync(SessionContext user)
    {
        var connection = await Db.OpenAsync(TestPostgres.AppRole);
        await connection.SetSessionAsync(user);
        return connection;
    }

    private async Task<T> OwnerScalarAsync<T>(string sql)
    {
        await using var owner = await Db.OpenAsync(TestPostgres.OwnerRole);
        return await owner.ScalarAsync<T>(sql);
    }

    [Fact]
    public async Task A_due_release_deploys_exactly_once_across_two_schedulers_as_the_person_who_scheduled_it()
    {
        var key = Key();
        var due = await Db.ApprovedReleaseAsync("Scheduled " + key, Translation(key, "one"));
        var later = await Db.ApprovedReleaseAsync("Later " + key, Translation(Key(), "two"));
        await ManagerService.ScheduleAsync(later, DateTimeOffset.UtcNow.AddHours(1), TimeProvider.System);
        await ScheduleDueAsync(ManagerService, due);

        // Two app instances tick at the same moment, twice each.
        var a = new ReleaseScheduleRunner(Db.AppDataSource);
        var b = new ReleaseScheduleRunner(Db.AppDataSource);
        var ticks = await Task.WhenAll(a.RunDueAsync("tick-a1"), b.RunDueAsync("tick-b1"), a.RunDueAsync("tick-a2"), b.RunDueAsync("tick-b2"));
        var mine = ticks.SelectMany(t => t).Where(d => d.ReleaseId == due).ToList();
        Assert.Single(mine, d => d.Outcome == ScheduledOutcome.Deployed);
        Assert.DoesNotContain(ticks.SelectMany(t => t), d => d.ReleaseId == later);

        var release = (await ManagerService.GetAsync(due))!.Release;
        Assert.Equal((ReleaseStatuses.Deployed, Manager.Email), (release.Status, release.DeployerEmail));
        Assert.True(release.DeployedAt >= release.ScheduledAt, "deployed at or after its time");
        Assert.Equal(1L, await OwnerScalarAsync<long>($"SELECT count(*) FROM audit_events WHERE action = 'release.deployed' AND record_id = '{due}'"));
        Assert.Equal(1L, await OwnerScalarAsync<long>($"SELECT count(*) FROM audit_events WHERE action = 'release.scheduled' AND record_id = '{due}'"));
        Assert.Equal(ReleaseStatuses.Approved, (await ManagerService.GetAsync(later))!.Release.Status);
        // The list shows the time of a schedule still to come, and none for a release deployed since.
        var listed = (await ManagerService.ListAsync()).Items;
        Assert.NotNull(listed.Single(r => r.Id == later).ScheduledAt);
        Assert.Null(listed.Single(r => r.Id == due).ScheduledAt);
    }

    [Fact]
    public async Task A_deploy_refused_at_its_time_holds_the_schedule_with_the_reason_until_someone_schedules_again()
    {
        var key = Key();
        var first = await EditorService.CreateAsync("Approved early " + key, "");
        var entity = await EditorService.SaveEntityAsync(first, Translation(key, "first"));
        var second = await EditorService.CreateAsync("Deployed meanwhile " + key, "");
        await EditorService.SaveEntityAsync(second, Translation(key, "second", id: entity));
        await EditorService.SubmitAsync(first);
        await ManagerService.ApproveAsync(first);
        await EditorService.SubmitAsync(second);
        await ManagerService.ApproveAsync(second);
        await ManagerService.DeployAsync(second);
        await ScheduleDueAsync(ManagerService, first);

        var runner = new ReleaseScheduleRunner(Db.AppDataSource);
        var held = Assert.Single(await runner.RunDueAsync("tick-held"), d => d.ReleaseId == first);
        Assert.Equal(ScheduledOutcome.Held, held.Outcome);
        Assert.Contains("blocking conflict", held.Reason);
        var release = (await ManagerService.GetAsync(first))!.Release;
        Assert.Equal(ReleaseStatuses.Approved, release.Status);
        Assert.NotNull(release.ScheduleHeldAt);
        Assert.Contains("blocking conflict", release.ScheduleHeldReason);
        Assert.True((await ManagerService.ListAsync(ReleaseStatuses.Approved)).Items.Single(r => r.Id == first).ScheduleHeld);
        Assert.Equal(ReleaseScheduleRunner.Actor, await OwnerScalarAsync<string>(
            $"SELECT actor_email FROM audit_events WHERE action = 'release.schedule_held' AND record_id = '{first}'"));

        // A held schedule is not tried again; scheduling again lifts the hold.
        Assert.DoesNotContain(await runner.RunDueAsync("tick-again"), d => d.ReleaseId == first);
        await ManagerService.ScheduleAsync(first, DateTimeOffset.UtcNow.AddHours(1), TimeProvider.System);
        release = (await ManagerService.GetAsync(first))!.Release;
        Assert.Null(release.ScheduleHeldAt);
        Assert.Null(release.ScheduleHeldReason);
    }

    [Fact]
    public async Task A_person_who_lost_the_role_since_scheduling_gets_the_schedule_held()
    {
        var lost = new SessionContext(Guid.NewGuid(), $"gone-{Key()}@test.local", ["ReleaseManager"], [], [], "test");
        await GrantAsync(lost, "Editor"); // a user, but no longer a release manager
        var id = await Db.ApprovedReleaseAsync("Lost role " + Key(), Translation(Key(), "x"));
        await ScheduleDueAsync(Db.ReleaseService(lost), id);

        var held = Assert.Single(await new ReleaseScheduleRunner(Db.AppDataSource).RunDueAsync("tick-lost"), d => d.ReleaseId == id);
        Assert.Equal(ScheduledOutcome.Held, held.Outcome);
        Assert.Contains("no longer holds the ReleaseManager or Admin role", held.Reason);
        Assert.Equal(ReleaseStatuses.Approved, (await ManagerService.GetAsync(id))!.Release.Status);
    }

    [Fact]
    public async Task Only_a_manager_schedules_only_an_approved_release_in_the_future_and_back_to_draft_drops_the_schedule()
    {
        var id = await Db.ApprovedReleaseAsync("Rules " + Key(), Translation(Key(), "x"));
        var soon = DateTimeOffset.UtcNow.AddHours(1);
        Assert.Contains("Only a ReleaseManager or an Admin", (await Assert.ThrowsAsync<ReleaseException>(() => EditorService.ScheduleAsync(id, soon, TimeProvider.System))).Message);
        Assert.Contains("in the future", (await Assert.ThrowsAsync<ReleaseException>(() => ManagerService.ScheduleAsync(id, DateTimeOffset.UtcNow.AddMinutes(-1), TimeProvider.System))).Message);
        var draft = await EditorService.CreateAsync("Draft " + Key(), "");
        Assert.Contains("only an approved release can be scheduled",
            (await Assert.ThrowsAsync<ReleaseException>(() => ManagerService.ScheduleAsync(draft, soon, TimeProvider.System))).Message);

        // The database refuses it too, whoever writes the row.
        await using (var editor = await OpenAsAsync(Editor))
        {
            var refused = await Assert.ThrowsAsync<PostgresException>(() => editor.ExecuteAsync($"UPDATE releases SET scheduled_at = now() + interval '1 hour' WHERE id = {draft}"));
            Assert.Equal("releases_schedule_role", refused.ConstraintName);
        }
        await using (var scheduler = await OpenAsAsync(SessionRoles.SystemJob(ReleaseScheduleRunner.Actor, "t")))
        {
            await ManagerService.ScheduleAsync(id, soon, TimeProvider.System);
            var refused = await Assert.ThrowsAsync<PostgresException>(() => scheduler.ExecuteAsync($"UPDATE releases SET override_reason = 'forged' WHERE id = {id}"));
            Assert.Equal("releases_schedule_role", refused.ConstraintName);
        }

        await ManagerService.ScheduleAsync(id, soon, TimeProvider.System);
        var scheduled = (await ManagerService.GetAsync(id))!.Release;
        Assert.Equal((Manager.UserId, Manager.Email), (scheduled.ScheduledById, scheduled.ScheduledByEmail));
        await ManagerService.ReopenAsync(id);
        var reopened = (await ManagerService.GetAsync(id))!.Release;
        Assert.Equal((ReleaseStatuses.Draft, null, null), (reopened.Status, reopened.ScheduledAt, reopened.ScheduledById));
        await ManagerService.UnscheduleAsync(id).ContinueWith(t => Assert.IsType<ReleaseException>(t.Exception!.InnerException));
    }
}
