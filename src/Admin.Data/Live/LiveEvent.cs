using System.Text.Json;
using System.Text.Json.Serialization;

namespace Admin.Data.Live;

/// <summary>
/// A small change announcement: which topic changed, which record, who did it and when. Receivers reload what they
/// show; the event never carries the data itself (NOTIFY payloads are limited to 8 kB and are not access-checked).
/// </summary>
public sealed record LiveEvent(
    [property: JsonPropertyName("topic")] string Topic,
    [property: JsonPropertyName("id")] string? Id = null,
    [property: JsonPropertyName("kind")] string? Kind = null,
    [property: JsonPropertyName("actor")] string? Actor = null,
    [property: JsonPropertyName("at")] DateTimeOffset? At = null)
{
    /// <summary>Sent after the listener reconnects: anything may have changed meanwhile, so every view reloads.</summary>
    public const string ResyncTopic = "resync";

    public bool IsResync => Topic == ResyncTopic;

    public static LiveEvent Resync(DateTimeOffset at) => new(ResyncTopic, Kind: "reconnected", At: at);

    public string ToJson() => JsonSerializer.Serialize(this);

    public static LiveEvent? TryParse(string payload)
    {
        try
        {
            var parsed = JsonSerializer.Deserialize<LiveEvent>(payload);
            return parsed is { Topic.Length: > 0 } ? parsed : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

public static class LiveChannel
{
    /// <summary>The one PostgreSQL channel all live events travel on (see live_notify in the foundation migration).</summary>
    public const string Name = "admin_live";
}
