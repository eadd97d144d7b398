using Admin.Data.Account;
using Admin.Web.Features.Account;
using Admin.Web.Features.Account.Pages;
using Bunit;

namespace Admin.Web.Tests.Components;

/// <summary>The Users page's dialogs (new or edited user, password reset), opened through the dialog service as the page opens them.</summary>
public sealed class AccountDialogTests : ComponentTestContext
{
    public AccountDialogTests() => SignIn(AppRoles.Admin);

    private Task<ShownDialog> NewUserAsync() => ShowDialogAsync<UserEditor>("New user", new()
    {
        { d => d.AllBrands, new List<string> { "acme", "globex" } },
        { d => d.AllLocales, new List<string> { "de-DE", "en-GB" } },
    });

    /// <summary>What the dialog closed with; null when it was cancelled.</summary>
    private static async Task<object?> ResultAsync(ShownDialog dialog) => (await dialog.ClosedAsync()) is { Canceled: false } r ? r.Data : null;

    private static UserRow Existing() => new(Guid.NewGuid(), "rhea@test.local", "Rhea Existing", IsDisabled: false, LockoutEnd: null,
        FailedAttempts: 0, CreatedAt: DateTimeOffset.UtcNow, Roles: [AppRoles.Editor], Brands: ["acme"], Locales: ["en-GB"]);

    [Fact]
    public async Task Saving_an_empty_new_user_names_each_missing_field_and_keeps_the_dialog_open()
    {
        var dialog = await NewUserAsync();
        Assert.DoesNotContain("is required", dialog.Text);

        Button(dialog.Host, "Save").Click();

        Assert.True(dialog.IsOpen);
        Assert.Contains("Email is required.", dialog.Text);
        Assert.Contains("Display name is required.", dialog.Text);
        Assert.Contains("An initial password is required.", dialog.Text);
        Assert.Contains("Choose at least one role.", dialog.Text);
    }

    [Fact]
    public async Task An_address_that_is_not_an_email_is_refused()
    {
        var dialog = await NewUserAsync();
        Field(dialog.Host, "Email").Change("rhea.example");

        Button(dialog.Host, "Save").Click();

        Assert.True(dialog.IsOpen);
        Assert.Contains("Enter a valid email address.", dialog.Text);
        Assert.DoesNotContain("Email is required.", dialog.Text);
    }

    [Fact]
    public async Task A_complete_new_user_closes_the_dialog_with_the_change_and_the_initial_password()
    {
        var dialog = await NewUserAsync();
        Field(dialog.Host, "Email").Change("  rhea@test.local ");
        Field(dialog.Host, "Display name").Change("Rhea Created");
        Field(dialog.Host, "Initial password").Change("Long-Enough-Pass-1");
        CheckBox(dialog.Host, AppRoles.Label(AppRoles.ReleaseManager)).Change(true);
        CheckBox(dialog.Host, "globex").Change(true);

        Button(dialog.Host, "Save").Click();

        var result = Assert.IsType<UserEditor.Result>(await ResultAsync(dialog));
        Assert.Equal("rhea@test.local", result.Change.Email);
        Assert.Equal("Rhea Created", result.Change.DisplayName);
        Assert.Equal([AppRoles.ReleaseManager], result.Change.Roles);
        Assert.Equal(["globex"], result.Change.Brands);
        Assert.Empty(result.Change.Locales);
        Assert.Equal("Long-Enough-Pass-1", result.Password);
    }

    [Fact]
    public async Task Editing_a_user_shows_their_roles_and_scopes_and_asks_for_neither_email_nor_password()
    {
        var dialog = await ShowDialogAsync<UserEditor>("Edit rhea@test.local", new()
        {
            { d => d.Existing, Existing() },
            { d => d.AllBrands, new List<string> { "acme", "globex" } },
            { d => d.AllLocales, new List<string> { "de-DE", "en-GB" } },
        });

        Assert.Empty(dialog.Host.FindAll("input[type=password]"));
        Assert.Equal("Rhea Existing", Field(dialog.Host, "Display name").GetAttribute("value"));
        Assert.DoesNotContain(dialog.Host.FindAll("label"), l => Normalise(l.TextContent) is "Email" or "Initial password");
        Assert.True(CheckBox(dialog.Host, AppRoles.Editor).HasAttribute("checked"));
        Assert.False(CheckBox(dialog.Host, AppRoles.Admin).HasAttribute("checked"));

        CheckBox(dialog.Host, AppRoles.Editor).Change(false);
        Button(dialog.Host, "Save").Click();
        Assert.True(dialog.IsOpen, "a user without a role was saved");
        Assert.Contains("Choose at least one role.", dialog.Text);

        CheckBox(dialog.Host, AppRoles.Label(AppRoles.Dba)).Change(true);
        Button(dialog.Host, "Save").Click();
        var result = Assert.IsType<UserEditor.Result>(await ResultAsync(dialog));
        Assert.Equal([AppRoles.Dba], result.Change.Roles);
        Assert.Equal("rhea@test.local", result.Change.Email);
        Assert.Null(result.Password);
    }

    [Fact]
    public async Task Cancel_closes_the_user_editor_with_nothing()
    {
        var dialog = await NewUserAsync();
        Field(dialog.Host, "Email").Change("rhea@test.local");

        Button(dialog.Host, "Cancel").Click();

        Assert.Null(await ResultAsync(dialog));
    }

    [Fact]
    public async Task A_password_reset_needs_a_password_and_generate_fills_one_the_policy_accepts()
    {
        var dialog = await ShowDialogAsync<PasswordResetDialog>("Reset password for rhea@test.local");
        Button(dialog.Host, "Reset password").Click();
        Assert.True(dialog.IsOpen);
        Assert.Contains("Enter a new password.", dialog.Text);

        Button(dialog.Host, "Generate").Click();
        var generated = Field(dialog.Host, "New password").GetAttribute("value")!;
        Assert.Matches("^(?=.*[a-z])(?=.*[A-Z])(?=.*[0-9]).{12,}$", generated);
        Button(dialog.Host, "Reset password").Click();

        Assert.Equal(generated, await ResultAsync(dialog));
    }
}
