using System.Collections.Concurrent;
using Microsoft.Playwright;
using Npgsql;

namespace Admin.Drill;

/// <summary>
/// An editor with a section open in a second browser context of the drill's chromium, pinned to the DBA's instance
/// (nginx's affinity cookie copied over), who types into a field without saving just before that instance is killed.
/// Afterwards the page must come back on another instance, offer the autosaved working copy, and restoring it must put
/// the typed text back, with no version saved by any of this (the "the unsaved edit is not lost").
/// </summary>
public sealed class EditorWatch
{
    public const string CheckName = "unsaved edit survives the instance kill";

    private const string Field = "[data-testid=field-title] :is(input, textarea)";

    private readonly ConcurrentQueue<(double At, string Upstream)> _loads = new();
    private readonly Journal _journal;
    private readonly IPage _page;
    private readonly Guid _sectionId;
    private readonly string _sectionKey;
    private readonly int _versionsBefore;
    private int _leavePrompts;
    private string? _typed;

    private EditorWatch(Journal journal, IPage page, Guid sectionId, string sectionKey, int versionsBefore)
    {
        _journal = journal;
        _page = page;
        _sectionId = sectionId;
        _sectionKey = sectionKey;
        _versionsBefore = versionsBefore;
    }

    /// <summary>Signs the editor in on the DBA's instance and opens an existing en-GB hero section (no typing yet).</summary>
    public static async Task<EditorWatch> OpenAsync(BrowserWatch dba, Journal journal, string superConnection, string email, string password)
    {
        var (id, key, versions) = await SectionAsync(superConnection);
        var context = await dba.Page.Context.Browser!.NewContextAsync(new() { BaseURL = dba.BaseUrl });
        // nginx hashes on this cookie: with the DBA's value the editor lands on the same instance.
        var affinity = (await dba.Page.Context.CookiesAsync()).Single(c => c.Name == "admin_affinity");
        await context.AddCookiesAsync([new Cookie { Name = affinity.Name, Value = affinity.Value, Domain = affinity.Domain, Path = affinity.Path }]);
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(30_000);
        var watch = new EditorWatch(journal, page, id, key, versions);
        page.Response += (_, response) =>
        {
            if (response.Request.IsNavigationRequest && response.Request.Frame == page.MainFrame
                && response.Headers.TryGetValue(Balancer.UpstreamHeader.ToLowerInvariant(), out var upstream))
                watch._loads.Enqueue((journal.Now, upstream));
        };
        // The editor asks before a page with unsaved changes is left (NavigationLock), but not on the reload after a
        // lost circuit (ReconnectModal.razor.js): a prompt there fails the check. Accepted, so the check still ends.
        page.Dialog += async (_, dialog) =>
        {
            if (dialog.Type == DialogType.BeforeUnload) Interlocked.Increment(ref watch._leavePrompts);
            await dialog.AcceptAsync();
        };

        await page.GotoAsync("/Account/Login");
        await page.FillAsync("#email", email);
        await page.FillAsync("#password", password);
        await page.ClickAsync("#sign-in");
        await page.WaitForURLAsync(u => !u.Contains("/Account/Login"));
        await page.GotoAsync($"/content/sections/{id}");
        await BrowserWatch.WaitInteractiveAsync(page, TimeSpan.FromSeconds(60));
        await page.Locator("[data-testid=section-editor]").WaitForAsync();
        return watch;
    }

    /// <summary>An existing en-GB hero section of the demo content (not one of the workload's), with its newest version.</summary>
    private static async Task<(Guid Id, string Key, int Versions)> SectionAsync(string superConnection)
    {
        await using var super = new NpgsqlConnection(superConnection);
        await super.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT id, section_key, latest_version_number FROM homepage_sections
             WHERE locale = 'en-GB' AND section_type = 'hero' AND status <> 'archived' AND section_key NOT LIKE 'drill-%'
             ORDER BY display_order LIMIT 1
            """, super);
        await using var reader = await command.ExecuteReaderAsync();
        return await reader.ReadAsync()
            ? (reader.GetGuid(0), reader.GetString(1), reader.GetInt32(2))
            : throw new InvalidOperationException("no en-GB hero section was seeded for the editor to open");
    }

    /// <summary>The instances that served the editor's page loads so far.</summary>
    public IReadOnlyList<string> Upstreams => [.. _loads.Select(l => l.Upstream).Distinct()];

    /// <summary>Types a distinctive title without saving and waits for the autosave marker (every 3 s).</summary>
    public async Task TypeUnsavedAsync()
    {
        _typed = $"Drill unsaved edit {Guid.NewGuid():N}"[..30];
        await _page.Locator(Field).First.FillAsync(_typed);
        await _page.GetByTestId("autosaved").WaitForAsync(new() { Timeout = 15_000 });
    }

    /// <summary>After the kill: the page reloaded on another instance, the working copy offered and restored, no version saved.</summary>
    public async Task<Check> FollowAsync(string victim, double killedAt, string superConnection)
    {
        try
        {
            if (_typed is null) return new Check(CheckName, false, "nothing was typed before the kill");
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (!_loads.Any(l => l.At > killedAt && l.Upstream != victim))
            {
                if (DateTime.UtcNow > deadline)
                    return new Check(CheckName, false, $"no page load of the editor on another instance within 60 s (loads: {Describe()})");
                await Task.Delay(250);
            }
            var upstream = _loads.Last(l => l.At > killedAt).Upstream;
            await BrowserWatch.WaitInteractiveAsync(_page, TimeSpan.FromSeconds(30));
            try
            {
                await _page.GetByTestId("working-copy-notice").WaitForAsync(new() { Timeout = 20_000 });
            }
            catch (TimeoutException)
            {
                var title = await _page.Locator(Field).First.InputValueAsync();
                return new Check(CheckName, false, $"the editor reloaded on {upstream} offers no working copy within 20 s (the title reads \"{title}\")");
            }
            var offered = _journal.Now - killedAt;
            await _page.GetByTestId("restore-working-copy").ClickAsync();
            var field = _page.Locator(Field).First;
            for (var clock = System.Diagnostics.Stopwatch.StartNew(); await field.InputValueAsync() != _typed; await Task.Delay(200))
                if (clock.Elapsed > TimeSpan.FromSeconds(10))
                    return new Check(CheckName, false, $"offered on {upstream}, but restoring it shows \"{await field.InputValueAsync()}\", not \"{_typed}\"");
            var restored = _journal.Now - killedAt;

            await using var super = new NpgsqlConnection(superConnection);
            await super.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT latest_version_number FROM homepage_sections WHERE id = $1", super);
            command.Parameters.Add(new NpgsqlParameter { Value = _sectionId });
            var versions = (int)(await command.ExecuteScalarAsync())!;
            if (_leavePrompts > 0)
                return new Check(CheckName, false, $"restored on {upstream}, but the reload after the kill asked \"leave page?\" {_leavePrompts} time(s)");
            return versions == _versionsBefore
                ? new Check(CheckName, true,
                    $"'{_sectionKey}' offered on {upstream} {FaultDrill.Seconds(offered)} after the kill, restored after {FaultDrill.Seconds(restored)}, still v{versions}, no \"leave page?\" prompt")
                : new Check(CheckName, false, $"restored on {upstream}, but '{_sectionKey}' went from v{_versionsBefore} to v{versions}: a version was saved");
        }
        catch (Exception e)
        {
            return new Check(CheckName, false, $"{Journal.Describe(e)} (loads: {Describe()})");
        }
    }

    private string Describe() => string.Join(", ", _loads.Select(l => $"{l.Upstream} at {FaultDrill.Seconds(l.At)}"));
}
