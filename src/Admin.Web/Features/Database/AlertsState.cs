using System.Security.Claims;
using Admin.Data.Database;

namespace Admin.Web.Features.Database;

/// <summary>
/// The alerts page's state: the board (open and resolved alerts, rules, silences, webhooks, latest notices), the tab
/// and highlighted alert from the address (?tab=rules, ?alert=12), and the actions, each reloading the board after.
/// </summary>
public sealed class AlertsState(AlertService alerts)
{
    public static readonly (string Key, string Title)[] Tabs = [("alerts", "Alerts"), ("rules", "Rules"), ("webhooks", "Webhooks"), ("notices", "Notices")];

    public AlertBoard? Board { get; private set; }
    public string Tab { get; private set; } = "alerts";
    public long? Highlight { get; private set; }
    public bool MayManage => alerts.MayManage;

    public int TabIndex => Array.FindIndex(Tabs, t => t.Key == Tab);

    /// <summary>Takes the address's parameters; an unknown tab is the first.</summary>
    public void Apply(string? tab, string? alert)
    {
        Tab = Tabs.Any(t => t.Key == tab) ? tab! : "alerts";
        Highlight = long.TryParse(alert, out var id) ? id : null;
    }

    public async Task LoadAsync(CancellationToken ct = default) => Board = await alerts.LoadAsync(ct);

    /// <summary>"2 firing, 1 pending" for the heading.</summary>
    public string Summary => Board is not { } b ? "" : b.Open.Count == 0 ? "Nothing firing"
        : string.Join(", ", b.Open.GroupBy(a => a.State).OrderBy(g => g.Key == AlertStates.Firing ? 0 : 1).Select(g => $"{g.Count()} {g.Key}"));

    /// <summary>The rule behind an alert, for the silence dialog.</summary>
    public AlertRule? RuleOf(AlertItem alert) => Board?.Rules.FirstOrDefault(r => r.Id == alert.RuleId);

    public static string ForText(int seconds) => seconds == 0 ? "at once" : seconds % 60 == 0 ? $"for {seconds / 60} min" : $"for {seconds} s";

    public Task AcknowledgeAsync(long alertId, ClaimsPrincipal actor) => ThenLoadAsync(alerts.AcknowledgeAsync(alertId, actor));

    public Task SilenceAsync(long ruleId, string? target, DateTimeOffset until, string reason, ClaimsPrincipal actor) =>
        ThenLoadAsync(alerts.SilenceAsync(ruleId, target, until, reason, actor));

    public Task EndSilenceAsync(long silenceId, ClaimsPrincipal actor) => ThenLoadAsync(alerts.EndSilenceAsync(silenceId, actor));

    public Task SaveRuleAsync(AlertRuleInput input, ClaimsPrincipal actor) => ThenLoadAsync(alerts.SaveRuleAsync(input, actor));

    public Task SetRuleEnabledAsync(AlertRule rule, bool enabled, ClaimsPrincipal actor) => SaveRuleAsync(ToInput(rule) with { Enabled = enabled }, actor);

    public Task DeleteRuleAsync(long ruleId, ClaimsPrincipal actor) => ThenLoadAsync(alerts.DeleteRuleAsync(ruleId, actor));

    public Task AddWebhookAsync(AlertWebhookInput input, ClaimsPrincipal actor) => ThenLoadAsync(alerts.AddWebhookAsync(input, actor));

    public Task SetWebhookEnabledAsync(long webhookId, bool enabled, ClaimsPrincipal actor) =>
        ThenLoadAsync(alerts.SetWebhookEnabledAsync(webhookId, enabled, actor));

    public Task DeleteWebhookAsync(long webhookId, ClaimsPrincipal actor) => ThenLoadAsync(alerts.DeleteWebhookAsync(webhookId, actor));

    /// <summary>Every action reloads the board after it (a refused one leaves it as it was).</summary>
    private async Task ThenLoadAsync(Task action)
    {
        await action;
        await LoadAsync();
    }

    public static AlertRuleInput ToInput(AlertRule r) =>
        new(r.Id, r.Name, r.Target, r.Metric, r.Comparator, r.Threshold, r.ForSeconds / 60, r.Severity, r.Enabled, r.Description);

    public static AlertRuleInput NewRule => new(null, "", null, "check:blocked", ">=", 2, 1, "warning", true, null);
}
