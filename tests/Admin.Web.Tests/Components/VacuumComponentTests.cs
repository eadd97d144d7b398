using Admin.Data.Database;
using Admin.TestSupport;
using Admin.Web.Features.Account;
using Admin.Web.Features.Database;
using Bunit;
using Npgsql;

namespace Admin.Web.Tests.Components;

/// <summary>
/// The Activity page's "stop queries longer than N" dialog (lists exactly the matching sessions, signals only after the
/// confirmation, says how many) and the Vacuum page naming a planted xmin horizon holder and a NOT VALID constraint.
/// </summary>
public sealed class VacuumComponentTests(ComponentDatabase fixture) : DatabaseComponentTest(fixture)
{
    [Fact]
    public async Task The_dialog_lists_the_long_query_not_the_short_one_and_cancels_it_only_after_confirming()
    {
        SignIn(AppRoles.Dba);
        await using var longOne = await TestSession.OpenAsync(Db.Name, "bunit-long");
        var sleeping = longOne.Start("SELECT pg_sleep(30) /* bunit long */");
        var providers = RenderMudProviders();
        var page = Render<ActivityPage>();
        page.WaitForElement("[data-testid=activity-tiles]", TimeSpan.FromSeconds(15));
        await Task.Delay(TimeSpan.FromSeconds(5));
        await using var shortOne = await TestSession.OpenAsync(Db.Name, "bunit-short");
        var shortStarted = System.Diagnostics.Stopwatch.StartNew();
        var shortSleeping = shortOne.Start("SELECT pg_sleep(30) /* bunit short */");
        // N between the two: over the short one's age by 2 s, under the long one's (5 s older) by 3 s.
        string N() => ((int)Math.Ceiling(shortStarted.Elapsed.TotalSeconds) + 2).ToString();

        // Keeping them signals nothing.
        var keep = Button(page, "Stop queries longer than…").ClickAsync(new());
        providers.WaitForElement("[data-testid=long-queries-none]");
        Field(providers, "Running longer than (seconds)").Change(N());
        providers.WaitForAssertion(() => Assert.Single(providers.FindAll("[data-testid=long-query]")), TimeSpan.FromSeconds(10));
        Assert.Equal(longOne.Pid.ToString(), providers.Find("[data-testid=long-query]").GetAttribute("data-pid"));
        Assert.Contains("bunit long", TextOf(providers.Find(DialogRole)));
        Button(providers, "Keep them").Click();
        await keep;
        Assert.False(sleeping.IsCompleted);
        Assert.Equal(0, await AuditCountAsync(DatabaseAuditActions.LongQueriesCancelled));

        var stop = Button(page, "Stop queries longer than…").ClickAsync(new());
        providers.WaitForElement("[data-testid=long-queries-none]");
        Field(providers, "Running longer than (seconds)").Change(N());
        providers.WaitForAssertion(() => Button(providers, "Cancel 1 query"), TimeSpan.FromSeconds(10));
        Assert.Equal(longOne.Pid.ToString(), providers.Find("[data-testid=long-query]").GetAttribute("data-pid"));
        Button(providers, "Cancel 1 query").Click();
        await stop.WaitAsync(TimeSpan.FromSeconds(15));

        providers.WaitForAssertion(() => Assert.Contains("1 cancelled, 0 already gone", providers.Markup));
        Assert.IsType<PostgresException>(await sleeping.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.False(shortSleeping.IsCompleted);
        Assert.Equal(1, await AuditCountAsync(DatabaseAuditActions.LongQueriesCancelled));
    }

    [Fact]
    public void An_admin_is_not_offered_to_stop_long_queries()
    {
        SignIn(AppRoles.Admin);
        RenderMudProviders();
        var page = Render<ActivityPage>();

        page.WaitForElement("[data-testid=activity-tiles]", TimeSpan.FromSeconds(15));
        Assert.Empty(page.FindAll("[data-testid=long-queries]"));
    }

    [Fact]
    public async Task The_vacuum_page_names_a_session_idle_in_transaction_and_a_not_valid_constraint()
    {
        SignIn(AppRoles.Dba);
        await using (var owner = await Db.OpenAsync(TestPostgres.OwnerRole))
            await owner.ExecuteAsync("""
                CREATE TABLE vac_page_t (id int, amount int);
                ALTER TABLE vac_page_t ADD CONSTRAINT vac_page_amount CHECK (amount > 0) NOT VALID;
                """);
        await using var holder = await TestSession.OpenAsync(Db.Name, "bunit-holder");
        await holder.ExecuteAsync("BEGIN; INSERT INTO vac_page_t VALUES (1, 1)");
        RenderMudProviders();

        var page = Render<VacuumPage>();

        var row = page.WaitForElement($"[data-testid=horizon-holder][data-name='{holder.Pid}']", TimeSpan.FromSeconds(15));
        Assert.Contains("idle in transaction", TextOf(row));
        Assert.Contains("terminate the session on the Activity page", TextOf(row));
        Assert.Equal("/database/activity", row.QuerySelector("[data-testid=holder-activity-link]")!.GetAttribute("href"));
        Assert.Equal("ALTER TABLE public.vac_page_t VALIDATE CONSTRAINT vac_page_amount;",
            TextOf(page.Find("[data-testid=not-valid-row][data-name=vac_page_amount] [data-testid=validate-sql]")));
        Assert.NotEmpty(page.FindAll("[data-testid=wrap-database]"));
        await holder.ExecuteAsync("ROLLBACK");
    }
}
