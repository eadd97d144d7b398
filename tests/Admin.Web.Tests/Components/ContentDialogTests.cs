using Admin.Data.Content;
using Admin.TestSupport;
using Admin.Web.Features.Account;
using Admin.Web.Features.Content;
using Admin.Data.Reference;
using Bunit;
using MudBlazor;

namespace Admin.Web.Tests.Components;

/// <summary>
/// The section list's dialogs, New section and Duplicate, on a real database: the key's rules and required fields,
/// and a key the locale already has, caught in the dialog before anything is created.
/// </summary>
public sealed class ContentDialogTests : DatabaseComponentTest
{
    public ContentDialogTests(ComponentDatabase fixture) : base(fixture) => SignIn(AppRoles.Editor);

    private async Task<SectionListItem> SectionAsync(string key)
    {
        var id = await HeroAsync(key);
        return (await Db.ContentService().ListAsync(Locale)).Single(s => s.Id == id);
    }

    private Task<ShownDialog> NewSectionAsync() =>
        ShowDialogAsync("New section", new DialogParameters<NewSectionDialog> { { d => d.Locale, Locale } });

    private static void Continue(ShownDialog dialog) => Button(dialog.Host, "Continue to the editor").Click();

    [Fact]
    public async Task A_new_section_needs_a_key()
    {
        var dialog = await NewSectionAsync();

        Continue(dialog);

        Assert.True(dialog.IsOpen);
        Assert.Contains("Give the section a key.", dialog.Text);
    }

    [Theory]
    [InlineData("Spring Sale")]
    [InlineData("-spring")]
    [InlineData("spring_sale")]
    public async Task A_key_outside_the_rule_is_refused_with_the_rule(string key)
    {
        var dialog = await NewSectionAsync();
        Field(dialog.Host, "Key").Change(key);

        Continue(dialog);

        Assert.True(dialog.IsOpen);
        Assert.Contains("Use lower-case letters, digits and dashes only, starting with a letter or digit.", dialog.Text);
    }

    [Fact]
    public async Task A_key_the_locale_already_has_is_caught_in_the_dialog_and_another_one_goes_through_with_the_chosen_type()
    {
        var existing = await SectionAsync(NewKey("taken"));
        var dialog = await NewSectionAsync();
        Field(dialog.Host, "Key").Change(existing.Key);

        Continue(dialog);

        Assert.True(dialog.IsOpen);
        var taken = dialog.Host.WaitForElement("[data-testid=key-taken]");
        Assert.Equal($"{Locale} already has a section with the key {existing.Key}.", TextOf(taken));
        Assert.Equal("true", dialog.Host.Find("[data-testid=new-section-key]").GetAttribute("aria-invalid"));

        // Changing the key takes the message away; a free key closes the dialog with the key and type.
        var key = NewKey("fresh");
        Field(dialog.Host, "Key").Change(key);
        dialog.Host.WaitForAssertion(() => Assert.Empty(dialog.Host.FindAll("[data-testid=key-taken]")));
        var type = SectionTypes.Label(SectionTypes.ProductCarousel);
        dialog.Host.FindAll("input[type=radio]").Single(r => (r.GetAttribute("aria-label") ?? r.Closest("[aria-label]")?.GetAttribute("aria-label")) == type).Click();
        Continue(dialog);

        Assert.Equal(new NewSectionDialog.Result(key, SectionTypes.ProductCarousel), (await dialog.ClosedAsync())!.Data);
        Assert.DoesNotContain(await Db.ContentService().ListAsync(Locale), s => s.Key == key); // created only when first saved
    }

    [Fact]
    public async Task A_duplicate_proposes_a_copy_key_refuses_one_taken_in_the_locale_and_closes_with_key_and_locale()
    {
        var source = await SectionAsync(NewKey("source"));
        var other = await SectionAsync(NewKey("other"));
        var dialog = await ShowDialogAsync($"Duplicate {source.Key}", new DialogParameters<DuplicateSectionDialog>
        {
            { d => d.Source, source },
            { d => d.CurrentLocale, Locale },
            { d => d.Locales, new List<CodeName> { new(Locale, "English (UK)"), new("de-DE", "Deutsch") } },
        });
        var key = Field(dialog.Host, "New key");
        Assert.Equal($"{source.Key}-copy", key.GetAttribute("value"));

        key.Change(other.Key);
        Button(dialog.Host, "Duplicate").Click();
        var taken = dialog.Host.WaitForElement("[data-testid=key-taken]");
        Assert.Contains($"{Locale} already has a section with the key {other.Key}", taken.TextContent);
        Assert.True(dialog.IsOpen);

        Field(dialog.Host, "New key").Change($"{source.Key}-copy");
        // The new key has reached the dialog once the message about the taken one is gone.
        dialog.Host.WaitForAssertion(() => Assert.Empty(dialog.Host.FindAll("[data-testid=key-taken]")));
        Button(dialog.Host, "Duplicate").Click();
        Assert.Equal(new DuplicateSectionDialog.Result($"{source.Key}-copy", Locale), (await dialog.ClosedAsync())!.Data);
    }
}
