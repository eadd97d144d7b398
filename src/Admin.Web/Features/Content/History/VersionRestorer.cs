using Admin.Web.Components.Shared;
using Admin.Data;
using Admin.Data.Content;
using MudBlazor;

namespace Admin.Web.Features.Content.History;

/// <summary>
/// "Restore as new draft" for the history and version pages: confirm, copy the old version on top of the newest one
/// the page knows, and explain a conflict (someone saved meanwhile) instead of restoring over their version.
/// </summary>
public sealed class VersionRestorer(ContentService content, Confirm confirm, IDialogService dialogs, Notify notify, BrowserClock time)
{
    /// <returns>The new version's number, or null when nothing was restored (cancelled, conflict, refused).</returns>
    public async Task<int?> RestoreAsync(Guid sectionId, int number, int newestNumber)
    {
        if (!await confirm.AskAsync($"Restore v{number} as a new draft?",
                $"v{number} is copied into a new draft, v{newestNumber + 1}, on top of v{newestNumber}. No version is changed or removed, " +
                "and nothing is published until you publish the new draft.",
                yes: "Restore as new draft")) return null;

        try
        {
            switch (await content.RestoreAsync(sectionId, number, newestNumber))
            {
                case SaveResult.Saved saved:
                    notify.Done($"v{number} restored as draft v{saved.VersionNumber}.");
                    return saved.VersionNumber;
                case SaveResult.Conflict conflict:
                    var theirs = conflict.Theirs;
                    await dialogs.ShowMessageBoxAsync("Someone saved meanwhile",
                        $"{theirs.CreatedByEmail ?? "Someone"} saved v{theirs.VersionNumber} at {time.FormatIso(theirs.CreatedAt)} {time.ZoneLabel(theirs.CreatedAt)}, " +
                        $"after this page last loaded v{newestNumber}, so nothing was restored. The page now shows their version; " +
                        $"look at it, then restore v{number} again if you still want it.",
                        yesText: "Reload");
                    return null;
                case SaveResult.Invalid invalid:
                    notify.Refused("Not restored: " + string.Join(" ", invalid.Errors.Select(e => e.Message)));
                    return null;
            }
        }
        catch (UserFacingException ex)
        {
            notify.Refused("Not restored: " + ex.Message);
        }
        return null;
    }
}
