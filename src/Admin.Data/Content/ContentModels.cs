using System.Text.Json;
using System.Text.Json.Nodes;

namespace Admin.Data.Content;

public sealed record SectionFilter(string? Status = null, string? Type = null, string? Text = null);

/// <summary>One row of the section list (one query for the whole list).</summary>
public sealed record SectionListItem(
    Guid Id, string Key, string Type, string Status, bool IsActive, int DisplayOrder,
    int? PublishedNumber, int? DraftNumber, int VersionCount,
    string? LastChangedBy, DateTimeOffset LastChangedAt, bool HasSchedule, DateTimeOffset? NextScheduleAt, string? Title);

public sealed record ScheduleInfo(Guid Id, int VersionNumber, DateTimeOffset PublishAt, DateTimeOffset? ExpireAt, string Status);

/// <summary>What the editor opens: the section and the newest version (the one an edit builds on).</summary>
public sealed record SectionDetail(
    HomepageSection Section, SectionVersion Latest, int? PublishedNumber, int? DraftNumber, IReadOnlyList<ScheduleInfo> Schedules);

public sealed record VersionSummary(
    int Number, string ChangeSummary, DateTimeOffset CreatedAt, string? CreatedByEmail, bool IsPublished,
    DateTimeOffset? PublishedAt, int? RestoredFrom, int ContentBytes);

public sealed record VersionPage(IReadOnlyList<VersionSummary> Items, int? NextBefore);

public sealed record NewSection(string Locale, string Key, string Type, JsonObject Content, string ChangeSummary = "Created");

public abstract record SaveResult
{
    public sealed record Saved(int VersionNumber) : SaveResult;
    /// <summary>Someone saved a newer version since the editor loaded <see cref="BaseNumber"/>: nothing was written.</summary>
    public sealed record Conflict(int BaseNumber, SectionVersion Theirs) : SaveResult;
    public sealed record Invalid(IReadOnlyList<FieldError> Errors) : SaveResult;
}

/// <summary>A refused content action, with a message fit to show the editor as is.</summary>
public sealed class ContentException(string message, string? field = null) : UserFacingException(message, field);

public static class ContentJson
{
    public static JsonObject ToObject(JsonDocument document) =>
        JsonNode.Parse(document.RootElement.GetRawText())!.AsObject();

    public static JsonDocument ToDocument(JsonObject content) => JsonDocument.Parse(content.ToJsonString());
}
