using Admin.Data.Monitoring;
using Admin.TestSupport;
using Admin.Web.Features.Account;
using Admin.Web.Features.Database;
using Admin.Web.Features.Deployments;
using Bunit;
using Npgsql;

namespace Admin.Web.Tests.Components;

/// <summary>
/// Role-dependent actions on a real database: EXPLAIN ANALYZE offered to DBAs only, after a confirmation, with the
/// buttons disabled while a statement runs; API tokens refused without a scope, shown once, revoked after a confirmation.
/// </summary>
public sealed class DatabaseAndTokenTests(ComponentDatabase fixture) : DatabaseComponentTest(fixture)
{
    private async Task<long> AuditCountAsync(string action)
    {
        await using var connection = await Db.OpenAppAsAdminAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM audit_events WHERE action = @a AND actor_email = @e", connection);
        command.Parameters.AddWithValue("a", action);
        command.Parameters.AddWithValue("e", User!.Email);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private IRenderedComponent<ExplainPanel> RenderExplain() =>
        Render<ExplainPanel>(p => p.Add(c => c.Target, MonitoringTarget.ConsoleTargetName));

    [Theory]
    [InlineData(AppRoles.Dba, true)]
    [InlineData(AppRoles.Admin, false)]
    public void Explain_analyze_is_offered_to_a_dba_only(string role, bool offered)
    {
        SignIn(role);

        var panel = RenderExplain();

        Assert.True(HasButton(panel, "Explain"));
        Assert.Equal(offered, HasButton(panel, "Explain analyze…"));
        Assert.Equal(offered, panel.Markup.Contains("ANALYZE executes the statement"));
    }

    [Fact]
    public async Task Explain_shows_the_estimated_plan_of_a_pasted_statement()
    {
        SignIn(AppRoles.Admin);
        var panel = RenderExplain();
        panel.Find("textarea[data-testid=explain-sql]").Change("SELECT action, count(*) FROM audit_events GROUP BY action");

        await Button(panel, "Explain").ClickAsync(new());

        panel.WaitForAssertion(() => Assert.Contains("estimates only", panel.Find("[data-testid=explain-facts]").TextContent));
        Assert.Contains("audit_events", panel.Find("[data-testid=explain-plan]").TextContent);
    }

    [Fact]
    public async Task Cancelling_the_analyze_confirmation_runs_and_audits_nothing()
    {
        SignIn(AppRoles.Dba);
        var dialogs = RenderDialogHost();
        var panel = RenderExplain();
        panel.Find("textarea[data-testid=explain-sql]").Change("SELECT count(*) FROM audit_events");

        var click = Button(panel, "Explain analyze…").ClickAsync(new());
        dialogs.WaitForAssertion(() => Assert.Contains("Run the statement?", dialogs.Markup));
        Assert.Contains("records it in the audit trail", TextOf(dialogs.Find(DialogRole)));
        Button(dialogs, "Cancel").Click();
        await click;

        Assert.Empty(dialogs.FindAll(DialogRole));
        Assert.Empty(panel.FindAll("[data-testid=explain-facts]"));
        Assert.Equal(0, await AuditCountAsync("database.explain_analyzed"));
    }

    [Fact]
    public async Task While_a_confirmed_analyze_runs_both_buttons_are_disabled_and_the_run_is_audited()
    {
        SignIn(AppRoles.Dba);
        var dialogs = RenderDialogHost();
        var panel = RenderExplain();
        panel.Find("textarea[data-testid=explain-sql]").Change("SELECT pg_sleep(0.8)");
        Assert.Null(Button(panel, "Explain").GetAttribute("disabled"));

        var click = Button(panel, "Explain analyze…").ClickAsync(new());
        dialogs.WaitForAssertion(() => Button(dialogs, "Run EXPLAIN ANALYZE"));
        Button(dialogs, "Run EXPLAIN ANALYZE").Click();

        panel.WaitForAssertion(() =>
        {
            Assert.NotNull(Button(panel, "Explain").GetAttribute("disabled"));
            Assert.NotNull(Button(panel, "Explain analyze…").GetAttribute("disabled"));
        });
        await click.WaitAsync(TimeSpan.FromSeconds(20));
        panel.WaitForAssertion(() => Assert.Contains("execution", panel.Find("[data-testid=explain-facts]").TextContent));
        Assert.Null(Button(panel, "Explain").GetAttribute("disabled"));
        Assert.Null(Button(panel, "Explain analyze…").GetAttribute("disabled"));
        Assert.Equal(1, await AuditCountAsync("database.explain_analyzed"));
    }

    // ------------------------------------------------------------------------------------------------ API tokens

    [Fact]
    public async Task A_token_without_a_scope_is_refused_with_the_reason_and_one_with_a_scope_is_shown_once_and_listed()
    {
        SignIn(AppRoles.Admin);
        await Db.EnsureUserAsync(User!.Session);
        var page = Render<TokensPage>();
        var name = $"bunit-{Guid.NewGuid():N}"[..14];
        page.WaitForElement("input[data-testid=token-name]").Change(name);

        await Button(page, "Create token").ClickAsync(new());
        Assert.Contains("Name the services the token may report", TextOf(page.WaitForElement("[data-testid=token-error]")));
        Assert.Empty(page.FindAll("[data-testid=token-secret]"));

        page.Find("input[data-testid=token-services]").Change("storefront");
        page.WaitForElement("[role=checkbox][aria-label='staging']").Click();
        await Button(page, "Create token").ClickAsync(new());

        var secret = page.WaitForElement("[data-testid=token-secret]").TextContent.Trim();
        Assert.StartsWith("adm_", secret);
        Assert.Empty(page.FindAll("[data-testid=token-error]"));
        page.WaitForAssertion(() => Assert.Contains("services [storefront] in environments [staging]", page.Find("[data-testid=tokens-grid]").TextContent));
        Assert.Equal("", page.Find("input[data-testid=token-name]").GetAttribute("value") ?? "");
    }

    [Fact]
    public async Task A_token_is_revoked_only_after_confirming_and_its_secret_is_no_longer_shown()
    {
        SignIn(AppRoles.Admin);
        await Db.EnsureUserAsync(User!.Session);
        var dialogs = RenderDialogHost();
        var page = Render<TokensPage>();
        var name = $"bunit-{Guid.NewGuid():N}"[..14];
        page.WaitForElement("input[data-testid=token-name]").Change(name);
        page.Find("input[data-testid=token-services]").Change("*");
        page.WaitForElement("[role=checkbox][aria-label='staging']").Click();
        await Button(page, "Create token").ClickAsync(new());
        page.WaitForElement("[data-testid=token-secret]");

        var keep = Button(page, $"Revoke {name}").ClickAsync(new());
        dialogs.WaitForAssertion(() => Button(dialogs, "Keep"));
        Button(dialogs, "Keep").Click();
        await keep;
        Assert.NotEmpty(page.FindAll("[data-testid=token-secret]"));
        Assert.True(HasButton(page, $"Revoke {name}"));

        var revoke = Button(page, $"Revoke {name}").ClickAsync(new());
        dialogs.WaitForAssertion(() => Button(dialogs, "Revoke"));
        Button(dialogs, "Revoke").Click();
        await revoke.WaitAsync(TimeSpan.FromSeconds(10));

        page.WaitForAssertion(() => Assert.False(HasButton(page, $"Revoke {name}")));
        Assert.Empty(page.FindAll("[data-testid=token-secret]"));
        var row = page.FindAll("[data-testid=tokens-grid] tr").Single(r => r.TextContent.Contains(name));
        Assert.Contains("Revoked", row.TextContent);
    }
}
