using System.Text.Json;
using System.Text.Json.Nodes;
using Admin.Data;
using Admin.Data.Content;

namespace Admin.Web.Features.Content;

/// <summary>
/// The section editor's state machine, apart from its markup (SectionEditorPage): loading a section or starting a new
/// one, the draft and its problems (live, after a field is left, from the server), the JSON view, saving (create, save
/// on top of the base version, conflict with a newer version), following other people's saves, and whether leaving
/// would lose anything. The page supplies how to tell the user (<see cref="Done"/>, <see cref="Info"/>,
/// <see cref="Refused"/>) and how to ask about a conflict (<see cref="AskConflict"/>).
/// </summary>
public sealed class SectionEditorState(ContentService content)
{
    /// <summary>Someone saved a version newer than the one this editor builds on; Loaded when the editor moved to it.</summary>
    public readonly record struct NewerVersion(int Number, string By, DateTimeOffset At, bool Loaded);

    public const int FormTab = 0;
    public const int JsonTab = 1;

    private IReadOnlyList<FieldError> _liveErrors = [];
    private List<FieldError> _serverErrors = [];
    private readonly HashSet<string> _touched = [];
    private bool _syncAfterSave;

    public Action<string> Done { get; set; } = _ => { };
    public Action<string> Info { get; set; } = _ => { };
    public Action<string> Refused { get; set; } = _ => { };

    /// <summary>Asks what to do about a save that lost the race: reload theirs, save theirs plus mine, or keep editing.</summary>
    public Func<SaveResult.Conflict, Task<SaveConflictDialog.Choice>> AskConflict { get; set; } = _ => Task.FromResult(SaveConflictDialog.Choice.KeepEditing);

    public (string Title, string Text)? Problem { get; private set; }
    public SectionDetail? Detail { get; private set; }
    public SectionDraft? Draft { get; private set; }
    public int BaseNumber { get; private set; }
    public Guid? LoadedId { get; private set; }
    public IReadOnlyList<VersionSummary> Versions { get; private set; } = [];
    public CatalogOptions Catalog { get; private set; } = CatalogOptions.None;
    public string Summary { get; set; } = "";
    public bool ShowAllErrors { get; private set; }
    public int Tab { get; set; }
    public string JsonText { get; private set; } = "";
    public string? JsonError { get; private set; }
    public NewerVersion? Notice { get; private set; }
    public bool Saving { get; private set; }
    /// <summary>Unsaved changes of the editor's from an earlier visit, offered on opening (restore or discard).</summary>
    public WorkingCopy? Recovered { get; private set; }
    /// <summary>When the unsaved changes were last kept as a working copy (null: nothing kept).</summary>
    public DateTimeOffset? AutosavedAt { get; private set; }
    public IReadOnlyList<FieldError> LiveErrors => _liveErrors;

    private string? _newKey;
    private string? _newLocale;

    private string? _autosaved;

    public bool IsNew => LoadedId is null;
    public bool Archived => Detail?.Section.Status == SectionStatuses.Archived;
    public string? SectionKey => Detail?.Section.SectionKey ?? _newKey;
    public string? SectionLocale => Detail?.Section.Locale ?? _newLocale;
    public string ListPath => $"/content?locale={Uri.EscapeDataString(SectionLocale ?? "")}";

    /// <summary>What leaving now would lose: content changes, or JSON that does not parse yet.</summary>
    public bool HasUnsavedChanges => Draft is not null && !Archived && (Draft.IsDirty || JsonError is not null);

    /// <summary>The problem shown under each field: the server's verdict, and live checks of fields already visited.</summary>
    public IReadOnlyDictionary<string, string> FieldErrors
    {
        get
        {
            var result = new Dictionary<string, string>();
            foreach (var e in _serverErrors) result.TryAdd(e.Field, e.Message);
            foreach (var e in _liveErrors)
                if (ShowAllErrors || _touched.Contains(e.Field)) result.TryAdd(e.Field, e.Message);
            return result;
        }
    }

    public IReadOnlyList<FieldError> AllErrors => _serverErrors.Concat(_liveErrors).DistinctBy(e => (e.Field, e.Message)).ToList();

    /// <summary>Whether a change event about this section concerns the editor.</summary>
    public bool Concerns(Admin.Data.Live.LiveEvent e) => e.IsResync || (LoadedId is { } id && e.Id == id.ToString());

    // ------------------------------------------------------------------------------------------------ loading

    public async Task LoadAsync(Guid id, CancellationToken ct = default)
    {
        var loaded = await content.GetAsync(id, ct);
        if (loaded is null)
        {
            Problem = ("This section does not exist", "It may have been removed, or the link is wrong. Go back to the list of sections.");
            return;
        }
        Problem = null;
        Detail = loaded;
        LoadedId = id;
        Catalog = await CatalogOptions.LoadAsync(content, loaded.Section.SectionType, ct);
        Versions = (await content.HistoryAsync(id, pageSize: 50, ct: ct)).Items;
        Draft = new SectionDraft(loaded.Section.SectionType, ContentJson.ToObject(loaded.Latest.Content));
        BaseNumber = loaded.Latest.VersionNumber;
        Notice = null;
        Summary = "";
        ClearErrors();
        (_autosaved, AutosavedAt, Recovered) = (null, null, null);
        if (await content.WorkingCopyAsync(id, ct) is { } copy)
        {
            if (SectionDraft.SameValue(copy.Content, Draft.Content)) await content.DiscardWorkingCopyAsync(id, ct);
            else Recovered = copy;
        }
    }

    // ------------------------------------------------------------------------------------------------ working copy

    /// <summary>
    /// Keeps the unsaved changes as the editor's working copy (the page calls this every few seconds and when it is
    /// left), so a closed tab, a lost connection or a killed app instance loses at most those seconds. Writes only
    /// when the content changed since the last call; forgets the copy once nothing is unsaved. Not while an offered
    /// copy waits for the editor's answer: it would be replaced by the content it is offered against.
    /// </summary>
    public async Task AutosaveAsync(CancellationToken ct = default)
    {
        if (LoadedId is not { } id || Archived || Draft is null || Saving || Recovered is not null) return;
        if (!Draft.IsDirty)
        {
            if (_autosaved is null) return;
            await content.DiscardWorkingCopyAsync(id, ct);
            (_autosaved, AutosavedAt) = (null, null);
            return;
        }
        var json = Draft.Content.ToJsonString();
        if (json == _autosaved) return;
        await content.SaveWorkingCopyAsync(id, BaseNumber, Draft.Content, ct);
        (_autosaved, AutosavedAt) = (json, DateTimeOffset.UtcNow);
    }

    /// <summary>Puts the offered working copy into the form (still unsaved: Save makes it a version).</summary>
    public void RestoreRecovered()
    {
        if (Recovered is not { } copy || Draft is null) return;
        Draft.Replace(copy.Content);
        (_autosaved, AutosavedAt, Recovered) = (copy.Content.ToJsonString(), copy.SavedAt, null);
        JsonText = Draft.ToJson();
        _liveErrors = Draft.Validate();
    }

    /// <summary>Throws the offered working copy away.</summary>
    public async Task DiscardRecoveredAsync()
    {
        if (Recovered is null || LoadedId is not { } id) return;
        Recovered = null;
        await content.DiscardWorkingCopyAsync(id);
    }

    /// <summary>A section not saved yet, from the New section dialog's choices in the address.</summary>
    public async Task StartNewAsync(string? type, string? locale, string? key, CancellationToken ct = default)
    {
        LoadedId = null;
        Detail = null;
        Versions = [];
        if (type is null || !SectionSchemas.IsKnownType(type))
        {
            Problem = ("Choose a section type first", "Start a new section from the list with New section.");
            return;
        }
        if (string.IsNullOrWhiteSpace(locale) || string.IsNullOrWhiteSpace(key))
        {
            Problem = ("A new section needs a locale and a key", "Start a new section from the list with New section.");
            return;
        }
        Problem = null;
        _newLocale = locale;
        _newKey = key.Trim();
        Draft = new SectionDraft(type, SectionSchemas.Empty(type));
        BaseNumber = 0;
        Summary = "";
        ClearErrors();
        Catalog = await CatalogOptions.LoadAsync(content, type, ct);
    }

    /// <summary>Makes <paramref name="version"/> the one this editor builds on, content and all.</summary>
    private void Adopt(SectionVersion version)
    {
        Draft!.Reset(ContentJson.ToObject(version.Content));
        BaseNumber = version.VersionNumber;
        ClearErrors();
    }

    /// <summary>
    /// Re-reads the section (status, numbers, schedules, versions) without touching the editor's changes. A version
    /// newer than the one being edited is loaded when there is nothing to lose, and announced either way.
    /// </summary>
    public async Task SyncAsync(CancellationToken ct = default)
    {
        if (LoadedId is not { } id || Draft is null) return;
        if (Saving)
        {
            _syncAfterSave = true;
            return;
        }
        var fresh = await content.GetAsync(id, ct);
        if (fresh is null)
        {
            Problem = ("This section no longer exists", "Someone removed it while you had it open.");
            return;
        }
        Detail = fresh;
        Versions = (await content.HistoryAsync(id, pageSize: 50, ct: ct)).Items;
        if (fresh.Latest.VersionNumber > BaseNumber)
        {
            var loaded = !HasUnsavedChanges;
            if (loaded) Adopt(fresh.Latest);
            Notice = new NewerVersion(fresh.Latest.VersionNumber, fresh.Latest.CreatedByEmail ?? "someone", fresh.Latest.CreatedAt, loaded);
        }
        else if (Notice is { } n && n.Number <= BaseNumber && !n.Loaded)
        {
            Notice = null;
        }
    }

    public async Task LoadNewestAsync()
    {
        if (LoadedId is not { } id) return;
        var fresh = await content.GetAsync(id);
        if (fresh is null) return;
        Detail = fresh;
        Adopt(fresh.Latest);
        Notice = null;
        Info($"Loaded version {fresh.Latest.VersionNumber}; your changes were discarded.");
    }

    public void DismissNotice() => Notice = null;

    // ------------------------------------------------------------------------------------------------ editing

    public void FieldChanged(string field)
    {
        _serverErrors.RemoveAll(e => e.Field == field);
        _liveErrors = Draft!.Validate();
    }

    public void FieldLeft(string field) => _touched.Add(field);

    public void TabChanged(int index)
    {
        Tab = index;
        // The JSON view starts from the form's content, unless it holds JSON the editor is still fixing.
        if (index == JsonTab && JsonError is null) JsonText = Draft!.ToJson();
        if (index == JsonTab) _liveErrors = Draft!.Validate();
    }

    public void JsonChanged(string? text)
    {
        JsonText = text ?? "";
        try
        {
            if (JsonNode.Parse(JsonText) is not JsonObject parsed)
            {
                JsonError = "The content must be one JSON object: { \"field\": value, … }.";
                return;
            }
            JsonError = null;
            Draft!.Replace(parsed);
            _serverErrors.Clear();
            _liveErrors = Draft.Validate();
        }
        catch (JsonException ex)
        {
            var reason = ex.Message.Split(" LineNumber:")[0].Split(" Path:")[0];
            JsonError = $"This is not valid JSON (line {ex.LineNumber + 1}, character {ex.BytePositionInLine + 1}): {reason} Nothing is saved until it is fixed.";
        }
    }

    public void Discard()
    {
        Draft!.Reset(Draft.Loaded);
        Summary = "";
        ClearErrors();
    }

    /// <summary>Forgets the problems shown for earlier content, and restarts the JSON view from the content.</summary>
    private void ClearErrors()
    {
        JsonText = Draft?.ToJson() ?? "";
        JsonError = null;
        _serverErrors = [];
        _liveErrors = Draft?.Validate() ?? [];
        _touched.Clear();
        ShowAllErrors = false;
    }

    // ------------------------------------------------------------------------------------------------ saving

    /// <summary>Saves the draft (or creates the new section). Returns the id of a section just created, else null.</summary>
    public async Task<Guid?> SaveAsync()
    {
        if (Saving || Draft is null) return null;
        if (JsonError is not null)
        {
            Tab = JsonTab;
            Refused("The JSON has a mistake (shown under it). Fix it, or discard your changes.");
            return null;
        }
        if (!IsNew && !Draft.IsDirty)
        {
            Info($"Nothing to save: no changes since v{BaseNumber}.");
            return null;
        }
        Guid? created = null;
        Saving = true;
        try
        {
            if (IsNew) created = await CreateAsync();
            else await SaveDraftAsync(Draft.Content, BaseNumber);
        }
        catch (UserFacingException ex)
        {
            ShowRefusal(ex);
        }
        finally
        {
            Saving = false;
        }
        if (_syncAfterSave)
        {
            _syncAfterSave = false;
            await SyncAsync();
        }
        return created;
    }

    private async Task<Guid?> CreateAsync()
    {
        var errors = Draft!.Validate();
        if (errors.Count > 0)
        {
            ShowInvalid(errors);
            return null;
        }
        var id = await content.CreateAsync(new NewSection(_newLocale!, _newKey!, Draft.Type, Draft.Content,
            string.IsNullOrWhiteSpace(Summary) ? "Created" : Summary.Trim()));
        // Nothing is unsaved any more: the guard must not stop the move to the created section's address.
        Draft.Reset(Draft.Content);
        Done($"{_newKey} created as version 1 (a draft).");
        return id;
    }

    private async Task SaveDraftAsync(JsonObject draftContent, int onTopOf)
    {
        var id = LoadedId!.Value;
        switch (await content.SaveDraftAsync(id, onTopOf, draftContent, Summary.Trim()))
        {
            case SaveResult.Saved saved:
                await content.DiscardWorkingCopyAsync(id);
                (_autosaved, AutosavedAt) = (null, null);
                var version = await content.GetVersionAsync(id, saved.VersionNumber);
                if (version is not null) Adopt(version);
                Summary = "";
                Notice = null;
                Done($"Saved as version {saved.VersionNumber}.");
                Saving = false;
                await SyncAsync();
                break;
            case SaveResult.Invalid invalid:
                ShowInvalid(invalid.Errors);
                break;
            case SaveResult.Conflict conflict:
                await ResolveConflictAsync(conflict);
                break;
        }
    }

    private async Task ResolveConflictAsync(SaveResult.Conflict conflict)
    {
        var theirs = conflict.Theirs;
        switch (await AskConflict(conflict))
        {
            case SaveConflictDialog.Choice.ReloadTheirs:
                Adopt(theirs);
                Summary = "";
                Notice = null;
                Info($"Loaded version {theirs.VersionNumber}; your changes were discarded.");
                Saving = false;
                await SyncAsync();
                break;
            case SaveConflictDialog.Choice.SaveCombined:
                // Their version becomes the base; the content saved is theirs with this editor's changes on top.
                var combined = Draft!.CombineWith(ContentJson.ToObject(theirs.Content));
                Draft.Reset(ContentJson.ToObject(theirs.Content));
                Draft.Replace(combined);
                BaseNumber = theirs.VersionNumber;
                if (!Draft.IsDirty)
                {
                    // They made the same changes: there is nothing of this editor's left to add.
                    Adopt(theirs);
                    Info($"Version {theirs.VersionNumber} already has your changes; nothing new to save.");
                    break;
                }
                await SaveDraftAsync(combined, theirs.VersionNumber);
                break;
        }
    }

    private void ShowInvalid(IReadOnlyList<FieldError> errors)
    {
        _serverErrors = errors.ToList();
        _liveErrors = Draft!.Validate();
        ShowAllErrors = true;
        Refused(errors.Count == 1
            ? errors[0].Message
            : $"{errors.Count} problems, each shown next to its field. The first: {errors[0].Message}");
    }

    private void ShowRefusal(UserFacingException ex)
    {
        if (ex.Field is { } field && Draft!.Fields.Any(f => f.Name == field))
        {
            _serverErrors.RemoveAll(e => e.Field == field);
            _serverErrors.Add(new FieldError(field, ex.Message));
            ShowAllErrors = true;
        }
        Refused(ex.Message);
    }

    public async Task UnarchiveAsync()
    {
        if (LoadedId is not { } id) return;
        try
        {
            await content.UnarchiveAsync(id);
        }
        catch (UserFacingException ex)
        {
            Refused(ex.Message);
            return;
        }
        Done($"{SectionKey} restored as a draft.");
        await SyncAsync();
    }

    public static string VersionLabel(int? number) => number is { } n ? $"v{n}" : "—";
}
