using Admin.TestSupport;
using Admin.Web.Features.Account;
using Microsoft.AspNetCore.SignalR;
using Npgsql;

namespace Admin.Web.Tests.Live;

/// <summary>
/// /hubs/live with the SignalR .NET client (no browser needed): every demo role × every topic, subscribed or refused as
/// the area table says, and the payload a subscriber receives for a NOTIFY.
/// </summary>
public sealed class HubTopicAuthorizationTests : IAsyncLifetime
{
    private TestDatabase _db = default!;
    private AdminAppFactory _factory = default!;
    private Uri _server = default!;

    public async Task InitializeAsync()
    {
        _db = await TestDatabase.CreateAsync();
        _factory = new AdminAppFactory(_db);
        _server = _factory.StartKestrel();
    }

    public async Task DisposeAsync()
    {
        await _factory.DisposeAsync();
        await _db.DisposeAsync();
    }

    [Fact]
    public async Task Each_role_subscribes_to_the_topics_of_its_areas_and_is_refused_the_others_in_plain_words()
    {
        foreach (var role in AppRoles.All)
        {
            var demo = DemoLogins.For(role);
            await using var client = await HubClient.ConnectAsync(_server, demo.Email, demo.Password);
            foreach (var area in Areas.All)
            {
                if (area.Roles.Contains(role))
                {
                    await client.SubscribeAsync(area.Key);
                    continue;
                }
                var refused = await Assert.ThrowsAsync<HubException>(() => client.SubscribeAsync(area.Key));
                Assert.Contains($"do not allow the '{area.Key}' topic", refused.Message);
            }
            var unknown = await Assert.ThrowsAsync<HubException>(() => client.SubscribeAsync("nonsense"));
            Assert.Contains("Unknown topic 'nonsense'", unknown.Message);
            // A refusal does not end the connection: it may still subscribe to its own areas.
            Assert.Equal(Microsoft.AspNetCore.SignalR.Client.HubConnectionState.Connected, client.Connection.State);
        }
    }

    [Fact]
    public async Task A_subscriber_receives_the_topic_id_kind_and_actor_of_a_notify_and_nothing_of_other_topics()
    {
        var editor = DemoLogins.For(AppRoles.Editor);
        await using var client = await HubClient.ConnectAsync(_server, editor.Email, editor.Password);
        await client.SubscribeAsync(Areas.Content.Key);
        var id = "hub-" + Guid.NewGuid().ToString("N")[..8];

        await using (var sql = await _db.OpenAppAsAdminAsync())
        {
            await using var command = new NpgsqlCommand(
                "SELECT live_notify('releases', @id, 'other'), live_notify('content', @id, 'update:en-GB', 'someone@test.local')", sql);
            command.Parameters.AddWithValue("id", id);
            await command.ExecuteNonQueryAsync();
        }

        var received = await client.WaitForAsync(e => e.Id == id);
        Assert.Equal("content", received.Topic);
        Assert.Equal("update:en-GB", received.Kind);
        Assert.Equal("someone@test.local", received.Actor);
        Assert.DoesNotContain(client.Events, e => e.Topic == "releases");
    }
}
