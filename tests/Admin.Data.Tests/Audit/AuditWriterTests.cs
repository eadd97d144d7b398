using System.Net;
using System.Text.Json;
using Admin.Data.Audit;
using Admin.Data.Live;
using Admin.Data.Session;
using Admin.TestSupport;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Admin.Data.Tests.Audit;

public sealed class AuditWriterTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>
{
    private static readonly SessionContext SignedIn = new(
        Guid.Parse("5d0c8a61-94b2-4c7e-8f1a-3b6e2d9c7a45"), "admin@admin.local", ["Admin"], [], [], "req-session");

    private TestDatabase Db => fixture.Database;

    [Fact]
    public async Task A_signed_in_session_is_the_actor_whatever_the_caller_names()
    {
        await using var db = Db.CreateAppContext(SignedIn);

        var id = await AuditWriter.WriteAsync(db, new AuditEntry(
            AuditActions.RolesChanged, "users", "u-42",
            ActorId: Guid.NewGuid(), ActorEmail: "someone-else@admin.local", ActorRoles: ["System", "Dba"], RequestId: "req-explicit"));

        var row = await ReadAsync(id);
        Assert.Equal(SignedIn.UserId, row.ActorId);
        Assert.Equal(SignedIn.Email, row.ActorEmail);
        Assert.Equal(SignedIn.Roles, row.ActorRoles);
        Assert.Equal("req-explicit", row.RequestId);
        Assert.Equal(AuditActions.RolesChanged, row.Action);
        Assert.Equal("users", row.TableName);
        Assert.Equal("u-42", row.RecordId);
    }

    [Fact]
    public async Task Without_a_signed_in_user_the_caller_names_the_actor_as_a_sign_in_does()
    {
        var actor = Guid.Parse("a3e1f0b2-6c4d-4f8e-9b7a-1c2d3e4f5a6b");
        await using var db = Db.CreateAppContext(SessionContext.Anonymous);

        var id = await AuditWriter.WriteAsync(db, new AuditEntry(
            AuditActions.LoginSucceeded, "users", actor.ToString(),
            ActorId: actor, ActorEmail: "person@admin.local", ActorRoles: ["Editor"], RequestId: "req-login"));

        var row = await ReadAsync(id);
        Assert.Equal(actor, row.ActorId);
        Assert.Equal("person@admin.local", row.ActorEmail);
        Assert.Equal(["Editor"], row.ActorRoles);
    }

    [Fact]
    public async Task Missing_actor_fields_come_from_the_session_context()
    {
        await using var db = Db.CreateAppContext(SignedIn);

        var id = await AuditWriter.WriteAsync(db, new AuditEntry(AuditActions.Logout));

        var row = await ReadAsync(id);
        Assert.Equal(SignedIn.UserId, row.ActorId);
        Assert.Equal("admin@admin.local", row.ActorEmail);
        Assert.Equal(["Admin"], row.ActorRoles);
        Assert.Equal("req-session", row.RequestId);
    }

    [Fact]
    public async Task Anonymous_event_has_no_actor_and_empty_roles()
    {
        await using var db = Db.CreateAppContext(SessionContext.Anonymous);

        var id = await AuditWriter.WriteAsync(db, new AuditEntry(AuditActions.LoginFailed, NewData: new { email = "who@example.com" }));

        var row = await ReadAsync(id);
        Assert.Null(row.ActorId);
        Assert.Null(row.ActorEmail);
        Assert.Empty(row.ActorRoles);
        Assert.Null(row.RequestId);
    }

    [Fact]
    public async Task Old_and_new_data_round_trip_as_jsonb()
    {
        await using var db = Db.CreateAppContext(SignedIn);
        using var newData = JsonDocument.Parse("""{"roles":["Editor","Dba"],"scopes":{"brands":["acme"]},"active":true,"note":"ünïcödé \"quoted\""}""");

        var id = await AuditWriter.WriteAsync(db, new AuditEntry(
            AuditActions.ScopesChanged, "users", "u-7",
            OldData: new { Roles = new[] { "Editor" }, Count = 1, Nothing = (string?)null },
            NewData: newData));

        var row = await ReadAsync(id);
        // The web defaults of System.Text.Json: camelCase names.
        using var expectedOld = JsonDocument.Parse("""{"roles":["Editor"],"count":1,"nothing":null}""");
        Assert.True(JsonElement.DeepEquals(expectedOld.RootElement, row.OldData!.RootElement), row.OldData.RootElement.GetRawText());
        Assert.True(JsonElement.DeepEquals(newData.RootElement, row.NewData!.RootElement), row.NewData.RootElement.GetRawText());
    }

    [Fact]
    public async Task Json_text_is_stored_as_the_document_it_spells_and_null_stays_sql_null()
    {
        await using var db = Db.CreateAppContext(SignedIn);

        var id = await AuditWriter.WriteAsync(db, new AuditEntry(AuditActions.UserDisabled, NewData: """{"disabled": true}"""));

        var row = await ReadAsync(id);
        Assert.Null(row.OldData);
        Assert.True(row.NewData!.RootElement.GetProperty("disabled").GetBoolean());
    }

    [Theory]
    [InlineData("203.0.113.7")]
    [InlineData("2001:db8::1")]
    public async Task Client_address_is_stored(string address)
    {
        await using var db = Db.CreateAppContext(SignedIn);

        var id = await AuditWriter.WriteAsync(db, new AuditEntry(AuditActions.LoginSucceeded, ClientAddress: IPAddress.Parse(address)));

        Assert.Equal(IPAddress.Parse(address), (await ReadAsync(id)).ClientAddress);
    }

    [Fact]
    public async Task Event_rolls_back_with_the_callers_transaction()
    {
        await using var db = Db.CreateAppContext(SignedIn);
        await using (var transaction = await db.Database.BeginTransactionAsync())
        {
            var id = await AuditWriter.WriteAsync(db, new AuditEntry(AuditActions.UserCreated, RecordId: "rolled-back"));
            Assert.True(id > 0);
            await transaction.RollbackAsync();
        }

        await using var read = Db.CreateAppContext(TestContexts.Admin);
        Assert.False(await read.AuditEvents.AnyAsync(e => e.RecordId == "rolled-back"));
    }

    [Fact]
    public async Task Audit_write_announces_the_new_event_on_the_live_channel()
    {
        await using var listener = await Db.OpenAppAsAdminAsync();
        var payloads = new List<string>();
        listener.Notification += (_, e) => payloads.Add(e.Payload);
        await listener.ExecuteAsync($"LISTEN {LiveChannel.Name}");
        await using var db = Db.CreateAppContext(SignedIn);

        var id = await AuditWriter.WriteAsync(db, new AuditEntry(AuditActions.PasswordReset, "users", "u-9"));

        var announced = await WaitForAsync(listener, payloads, e => e.Topic == "audit" && e.Id == id.ToString(), TimeSpan.FromSeconds(5));
        Assert.Equal(AuditActions.PasswordReset, announced.Kind);
        Assert.Equal("admin@admin.local", announced.Actor);
    }

    private async Task<AuditEvent> ReadAsync(long id)
    {
        // A fresh context (an admin's: audit rows are readable by admins): what was stored, not what the writer remembers.
        await using var db = Db.CreateAppContext(TestContexts.Admin);
        return await db.AuditEvents.AsNoTracking().SingleAsync(e => e.Id == id);
    }

    private static async Task<LiveEvent> WaitForAsync(NpgsqlConnection listener, List<string> payloads, Func<LiveEvent, bool> match, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var found = payloads.Select(LiveEvent.TryParse).FirstOrDefault(e => e is not null && match(e));
            if (found is not null) return found;
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero) throw new TimeoutException($"No matching notification within {timeout}; got: {string.Join(" | ", payloads)}");
            await listener.WaitAsync(left);
        }
    }
}
