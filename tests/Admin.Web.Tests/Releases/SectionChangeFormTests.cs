using Admin.Data.Content;
using Admin.Data.Reference;
using Admin.Data.Releases;
using Admin.TestSupport;
using Admin.Web.Features.Releases;

namespace Admin.Web.Tests.Releases;

/// <summary>
/// The "homepage section in a release" dialog's choices (SectionChangeForm) on a real database: from the release page
/// (release fixed: pick locale, section, version) and from the section editor (section fixed: pick a draft release).
/// </summary>
public sealed class SectionChangeFormTests : IAsyncLifetime
{
    private TestDatabase _db = default!;
    private ReleaseService _releases = default!;
    private ContentService _content = default!;
    private Guid _published;
    private Guid _unpublished;

    public async Task InitializeAsync()
    {
        _db = await TestDatabase.CreateAsync();
        await _db.SeedCatalogAsync();
        _releases = _db.ReleaseService(ReleaseFixtures.Editor);
        _content = _db.ContentService();
        _published = await _content.CreateAsync(new NewSection("de-DE", "hero-form", SectionTypes.Hero, ContentFixtures.Hero()));
        await _content.PublishAsync(_published, 1);
        await _content.SaveDraftAsync(_published, 1, ContentFixtures.Hero("Sommer"), "summer");
        _unpublished = await _content.CreateAsync(new NewSection("de-DE", "banner-form", SectionTypes.Hero, ContentFixtures.Hero("Neu")));
    }

    public async Task DisposeAsync() => await _db.DisposeAsync();

    private SectionChangeForm Form() => new(_releases, _content, new ReferenceQueries(_db.Factory(ReleaseFixtures.Editor)));

    [Fact]
    public async Task From_the_release_page_a_locale_lists_its_sections_and_a_section_its_versions_newest_first()
    {
        var release = await _releases.CreateAsync("Form", null);
        var form = Form();
        await form.LoadAsync(release, null, null, "de-DE");

        Assert.True(form.ReleaseFixed);
        Assert.Equal(["banner-form", "hero-form"], form.Sections.Select(s => s.Key).Order());
        Assert.False(form.CanSubmit);

        await form.ChooseSectionAsync(_published);
        Assert.Equal([2, 1], form.Versions.Select(v => v.Number));
        Assert.Equal(1, form.PublishedNumber);
        Assert.True(form.CanSubmit);
        Assert.True(await form.SubmitAsync());
        Assert.Equal((int?)2, Assert.Single(await _releases.SectionReleasesAsync(_published)).VersionNumber);

        // A section that is not live cannot be taken down: the form will not submit it, and the service says why.
        await form.ChooseSectionAsync(_unpublished);
        form.TakeDown = true;
        Assert.False(form.CanSubmit);
        Assert.False(await form.SubmitAsync());
        Assert.Contains("nothing to take down", form.Error);
    }

    [Fact]
    public async Task From_the_section_editor_the_form_offers_the_draft_releases_and_the_chosen_version()
    {
        var draft = await _releases.CreateAsync("Draft", null);
        var submitted = await _releases.CreateAsync("Submitted", null);
        await _releases.SaveEntityAsync(submitted, ReleaseFixtures.Translation("form.key", "x"));
        await _releases.SubmitAsync(submitted);

        var form = Form();
        await form.LoadAsync(null, _published, 1, null);

        Assert.Equal([draft], form.Drafts.Select(r => r.Id));
        Assert.Equal((draft, (int?)1, "de-DE"), (form.ReleaseId, form.Version, form.Locale));
        form.TakeDown = true;
        Assert.True(await form.SubmitAsync());
        Assert.Null(Assert.Single(await _releases.SectionReleasesAsync(_published)).VersionNumber);
    }
}
