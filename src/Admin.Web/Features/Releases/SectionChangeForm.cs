using Admin.Data;
using Admin.Data.Content;
using Admin.Data.Reference;
using Admin.Data.Releases;

namespace Admin.Web.Features.Releases;

/// <summary>
/// The choices of the "homepage section in a release" dialog: which draft release (unless the release page fixed it),
/// which locale and section (unless the section editor fixed it), and which version, or the section's take-down.
/// </summary>
public sealed class SectionChangeForm(ReleaseService releases, ContentService content, ReferenceQueries reference)
{
    public IReadOnlyList<Release> Drafts { get; private set; } = [];
    public IReadOnlyList<CodeName> Locales { get; private set; } = [];
    public IReadOnlyList<SectionListItem> Sections { get; private set; } = [];
    public IReadOnlyList<VersionSummary> Versions { get; private set; } = [];

    public long? ReleaseId { get; set; }
    public string? Locale { get; private set; }
    public Guid? SectionId { get; private set; }
    public int? Version { get; set; }
    public bool TakeDown { get; set; }
    public int? PublishedNumber { get; private set; }
    public string? Error { get; private set; }
    public bool Busy { get; private set; }

    public bool ReleaseFixed { get; private set; }
    public bool SectionFixed { get; private set; }

    /// <summary>What the dialog may submit: a release, a section and a version (or the take-down of a published section).</summary>
    public bool CanSubmit => !Busy && ReleaseId is not null && SectionId is not null && (TakeDown ? PublishedNumber is not null : Versions.Count > 0);

    public async Task LoadAsync(long? releaseId, Guid? sectionId, int? version, string? locale, CancellationToken ct = default)
    {
        (ReleaseId, ReleaseFixed, SectionFixed) = (releaseId, releaseId is not null, sectionId is not null);
        if (!ReleaseFixed)
        {
            Drafts = (await releases.OpenReleasesAsync(ct)).Where(r => r.Status == ReleaseStatuses.Draft).ToList();
            ReleaseId = Drafts.FirstOrDefault()?.Id;
        }
        if (sectionId is { } id)
        {
            await ChooseSectionAsync(id, ct);
            if (version is not null) Version = version;
        }
        else
        {
            Locales = await reference.LocalesAsync(ct);
            // The user's first locale by default (an editor works in theirs), else the first there is.
            await ChooseLocaleAsync(locale ?? releases.CurrentLocales.FirstOrDefault(l => Locales.Any(x => x.Code == l)) ?? Locales.FirstOrDefault()?.Code, ct);
        }
    }

    public async Task ChooseLocaleAsync(string? locale, CancellationToken ct = default)
    {
        Locale = locale;
        Sections = locale is null ? [] : (await content.ListAsync(locale, null, ct)).Where(s => s.Status != SectionStatuses.Archived).ToList();
        (SectionId, Versions, PublishedNumber, Version, TakeDown) = (null, [], null, null, false);
    }

    public async Task ChooseSectionAsync(Guid sectionId, CancellationToken ct = default)
    {
        var detail = await content.GetAsync(sectionId, ct);
        SectionId = detail?.Section.Id;
        Locale = detail?.Section.Locale;
        PublishedNumber = detail?.PublishedNumber;
        Versions = detail is null ? [] : (await content.HistoryAsync(sectionId, null, 50, ct)).Items;
        (Version, TakeDown) = (null, false);
        Error = detail is null ? "That section no longer exists." : null;
    }

    /// <summary>Adds the choice to the release; true when done, otherwise <see cref="Error"/> says why.</summary>
    public async Task<bool> SubmitAsync(CancellationToken ct = default)
    {
        if (ReleaseId is not { } release || SectionId is not { } section) return false;
        Busy = true;
        Error = null;
        try
        {
            await releases.AddSectionAsync(release, section, TakeDown ? null : Version ?? Versions.FirstOrDefault()?.Number, ct);
            return true;
        }
        catch (UserFacingException e)
        {
            Error = e.Message;
            return false;
        }
        finally
        {
            Busy = false;
        }
    }
}
