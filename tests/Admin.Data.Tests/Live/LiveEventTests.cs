using Admin.Data.Live;

namespace Admin.Data.Tests.Live;

public sealed class LiveEventTests
{
    [Fact]
    public void Parses_what_live_notify_sends()
    {
        var parsed = LiveEvent.TryParse("""{"topic":"content","id":"42","kind":"updated","actor":"editor@admin.local","at":"2026-11-22T10:15:30.123456Z"}""");

        Assert.Equal(
            new LiveEvent("content", "42", "updated", "editor@admin.local", new DateTimeOffset(2026, 11, 22, 10, 15, 30, TimeSpan.Zero).AddTicks(1_234_560)),
            parsed);
    }

    [Fact]
    public void Topic_alone_is_enough_and_nulls_are_accepted()
    {
        Assert.Equal(new LiveEvent("audit"), LiveEvent.TryParse("""{"topic":"audit","id":null,"kind":null,"actor":null,"at":null}"""));
    }

    [Theory]
    [InlineData("""{"id":"42"}""")]
    [InlineData("""{"topic":null}""")]
    [InlineData("""{"topic":""}""")]
    public void Missing_or_empty_topic_is_rejected(string payload) => Assert.Null(LiveEvent.TryParse(payload));

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("{\"topic\":\"content\"")]
    [InlineData("null")]
    [InlineData("[1,2]")]
    [InlineData("""{"topic":42}""")]
    [InlineData("""{"topic":"content","at":"yesterday"}""")]
    public void Garbage_is_rejected_without_throwing(string payload) => Assert.Null(LiveEvent.TryParse(payload));

    [Fact]
    public void ToJson_round_trips_through_TryParse()
    {
        var original = new LiveEvent("releases", "r-9", "published", "release@admin.local", new DateTimeOffset(2026, 11, 22, 8, 0, 0, TimeSpan.Zero));

        Assert.Equal(original, LiveEvent.TryParse(original.ToJson()));
    }

    [Fact]
    public void Resync_round_trips_and_is_recognised()
    {
        var resync = LiveEvent.Resync(new DateTimeOffset(2026, 11, 22, 8, 0, 0, TimeSpan.Zero));

        var parsed = LiveEvent.TryParse(resync.ToJson());

        Assert.Equal(resync, parsed);
        Assert.True(parsed!.IsResync);
    }
}
