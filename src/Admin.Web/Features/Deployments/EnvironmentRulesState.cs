using System.Globalization;
using Admin.Data;
using Admin.Data.Deployments;

namespace Admin.Web.Features.Deployments;

/// <summary>One environment's rules as the editor holds them: checks typed as text, windows as editable rows.</summary>
public sealed class EnvironmentRulesForm(EnvironmentRules rules)
{
    public string Name { get; } = rules.Name;
    public bool RequiresApproval { get; set; } = rules.RequiresApproval;
    public int WaitMinutes { get; set; } = rules.WaitMinutes;
    public string Checks { get; set; } = string.Join(", ", rules.RequiredChecks);
    public List<WindowForm> Windows { get; } = rules.Windows.Select(w => new WindowForm(w)).ToList();
    public string? Error { get; set; }

    /// <summary>Check names from the text: separated by commas, spaces or new lines; duplicates once.</summary>
    public string[] CheckNames => Checks.Split([',', ' ', '\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .Distinct(StringComparer.Ordinal).ToArray();

    /// <summary>A new window: a weekend freeze in the browser's zone (or UTC), ready to adjust.</summary>
    public void AddWindow(string timeZone) =>
        Windows.Add(new WindowForm(new FreezeWindow(FreezeWindow.Deny, "Weekend freeze", 5, new TimeOnly(16, 0), 1, new TimeOnly(8, 0), timeZone)));

    public EnvironmentRules ToRules() => new(Name, RequiresApproval, WaitMinutes, CheckNames, Windows.Select(w => w.ToWindow()).ToList());
}

public sealed class WindowForm(FreezeWindow w)
{
    public string Kind { get; set; } = w.Kind;
    public string Label { get; set; } = w.Label;
    public int StartDay { get; set; } = w.StartDay;
    public string StartTime { get; set; } = w.StartTime.ToString("HH\\:mm", CultureInfo.InvariantCulture);
    public int EndDay { get; set; } = w.EndDay;
    public string EndTime { get; set; } = w.EndTime.ToString("HH\\:mm", CultureInfo.InvariantCulture);
    public string TimeZone { get; set; } = w.TimeZone;

    public static TimeOnly? ParseTime(string text) =>
        TimeOnly.TryParseExact(text.Trim(), ["H:mm", "HH:mm"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var t) ? t : null;

    /// <summary>What is wrong with the row (null: nothing).</summary>
    public string? Problem() =>
        string.IsNullOrWhiteSpace(Label) ? "Give every window a label (e.g. Weekend freeze)."
        : ParseTime(StartTime) is not { } start ? $"Window \"{Label.Trim()}\": the start time '{StartTime}' is not a time like 16:00."
        : ParseTime(EndTime) is not { } end ? $"Window \"{Label.Trim()}\": the end time '{EndTime}' is not a time like 08:00."
        : StartDay == EndDay && start == end ? $"Window \"{Label.Trim()}\" must end at another time than it starts."
        : string.IsNullOrWhiteSpace(TimeZone) ? $"Window \"{Label.Trim()}\" needs a time zone (e.g. Europe/London)."
        : null;

    public FreezeWindow ToWindow() => new(Kind, Label.Trim(), StartDay, ParseTime(StartTime) ?? default, EndDay, ParseTime(EndTime) ?? default, TimeZone.Trim());
}

/// <summary>
/// The environment rules page's state: every environment's rules; admins edit and save one environment at a time
/// (the database checks and audits the change), release managers read them.
/// </summary>
public sealed class EnvironmentRulesState(EnvironmentRulesService rules, bool canEdit)
{
    public bool CanEdit { get; } = canEdit;
    public IReadOnlyList<EnvironmentRulesForm> Environments { get; private set; } = [];
    public string? Saved { get; private set; }
    public bool Busy { get; private set; }

    public async Task LoadAsync(CancellationToken ct = default) =>
        Environments = (await rules.ListAsync(ct)).Select(r => new EnvironmentRulesForm(r)).ToList();

    /// <summary>Saves one environment; on refusal its <see cref="EnvironmentRulesForm.Error"/> says why and nothing changes.</summary>
    public async Task<bool> SaveAsync(EnvironmentRulesForm form)
    {
        Busy = true;
        form.Error = null;
        Saved = null;
        try
        {
            if (form.Windows.Select(w => w.Problem()).FirstOrDefault(p => p is not null) is { } problem)
            {
                form.Error = problem;
                return false;
            }
            await rules.SaveAsync(form.ToRules());
            Saved = $"Rules of {form.Name} saved.";
            return true;
        }
        catch (UserFacingException e)
        {
            form.Error = e.Message;
            return false;
        }
        finally { Busy = false; }
    }
}
