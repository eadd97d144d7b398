using Admin.TestSupport;
using Admin.Web.Features.Account;
using Admin.Web.Features.Deployments;
using Bunit;

namespace Admin.Web.Tests.Components;

/// <summary>
/// Role-dependent actions on a real database: API tokens refused without a scope, shown once, revoked after a
/// confirmation. (The Database area's EXPLAIN tests moved to DatabasePanelComponentTests.)
/// </summary>
public sealed class DatabaseAndTokenTests(ComponentDatabase fixture) : DatabaseComponentTest(fixture)
{
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
        page.WaitForAssertion(() => CheckBox(page, "staging"));
        CheckBox(page, "staging").Change(true);
        await Button(page, "Create token").ClickAsync(new());

        var secret = page.WaitForElement("[data-testid=token-secret]").TextContent.Trim();
        Assert.StartsWith("adm_", secret);
        Assert.Empty(page.FindAll("[data-testid=token-error]"));
        page.WaitForAssertion(() => Assert.Contains("services [storefront] in environments [staging]", page.Find("[data-testid=tokens-grid]").TextContent));
        Assert.Equal("", page.Find("input[data-testid=token-name]").GetAttribute("value") ?? "");
    }

    /// <summary>The tokens page (with MudBlazor's providers) as an Admin who has just created a token for every service in staging.</summary>
    private async Task<(IRenderedComponent<MudProviders> Providers, IRenderedComponent<TokensPage> Page, string Name)> TokensPageWithATokenAsync()
    {
        SignIn(AppRoles.Admin);
        await Db.EnsureUserAsync(User!.Session);
        var providers = RenderMudProviders();
        var page = Render<TokensPage>();
        var name = $"bunit-{Guid.NewGuid():N}"[..14];
        page.WaitForElement("input[data-testid=token-name]").Change(name);
        page.Find("input[data-testid=token-services]").Change("*");
        page.WaitForAssertion(() => CheckBox(page, "staging"));
        CheckBox(page, "staging").Change(true);
        await page.InvokeAsync(() => Button(page, "Create token").ClickAsync(new()));
        page.WaitForElement("[data-testid=token-secret]");
        return (providers, page, name);
    }

    [Fact]
    public async Task A_token_is_revoked_only_after_confirming_and_its_secret_is_no_longer_shown()
    {
        var (dialogs, page, name) = await TokensPageWithATokenAsync();

        var keep = Button(page, $"Revoke {name}").ClickAsync(new());
        dialogs.WaitForAssertion(() => Button(dialogs, "Cancel"));
        Button(dialogs, "Cancel").Click();
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

    [Fact]
    public async Task A_scope_is_narrowed_in_its_dialog_refused_without_an_environment_and_the_change_is_announced()
    {
        var (providers, page, name) = await TokensPageWithATokenAsync();

        var change = page.InvokeAsync(() => Button(page, $"Change the scope of {name}").ClickAsync(new()));
        providers.WaitForAssertion(() => Assert.Contains($"What may '{name}' report?", providers.Markup));
        await providers.InvokeAsync(() => CheckBox(providers, "staging").Change(false));
        await providers.InvokeAsync(() => Button(providers, "Save scope").ClickAsync(new()));
        providers.WaitForAssertion(() => Assert.NotEmpty(providers.FindAll("[data-testid=scope-error]")));
        Assert.False(change.IsCompleted, "the dialog closed on a refused scope");

        await providers.InvokeAsync(() => CheckBox(providers, "production (requires approval)").Change(true));
        await providers.InvokeAsync(() => Button(providers, "Save scope").ClickAsync(new()));
        await change.WaitAsync(TimeSpan.FromSeconds(10));

        page.WaitForAssertion(() => Assert.Contains("in environments [production]", page.Find("[data-testid=tokens-grid]").TextContent));
        providers.WaitForAssertion(() => Assert.Contains($"Scope of {name} changed", providers.Markup));
    }
}
