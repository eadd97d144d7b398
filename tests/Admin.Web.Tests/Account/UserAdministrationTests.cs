using Admin.Data.Account;
using System.Security.Claims;
using Admin.Data.Audit;
using Admin.TestSupport;
using Admin.Web.Features.Account;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Admin.Web.Tests.Account;

/// <summary>The Admin-only user management service on the real Identity stores, each change audited.</summary>
public sealed class UserAdministrationTests(WebAppFixture app) : IClassFixture<WebAppFixture>
{
    private static readonly UserChange Sample = new("", "Sam Sample", [AppRoles.Editor], ["acme"], ["en-GB"]);

    private Task<T> AsAdminAsync<T>(Func<UserAdministration, ClaimsPrincipal, Task<T>> action) =>
        TestAccounts.AsAdminAsync(app.Factory.Services, action);

    private Task<Guid> CreateAsync(string? email = null, IReadOnlyList<string>? roles = null) =>
        AsAdminAsync((admin, _) => admin.CreateAsync(
            Sample with { Email = email ?? $"u-{Guid.NewGuid():N}@test.local", Roles = roles ?? Sample.Roles }, "Long-Enough-Pass-1"));

    private async Task<List<(string Action, string? Actor, string? Old, string? New)>> AuditForAsync(Guid userId)
    {
        await using var connection = await app.Database.OpenAppAsAdminAsync();
        await using var command = new NpgsqlCommand(
            "SELECT action, actor_email, old_data::text, new_data::text FROM audit_events WHERE record_id = @id ORDER BY id", connection);
        command.Parameters.AddWithValue("id", userId.ToString());
        var rows = new List<(string, string?, string?, string?)>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            rows.Add((reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3)));
        return rows;
    }

    [Fact]
    public async Task Created_user_is_listed_with_roles_and_scopes_and_the_creation_is_audited_as_the_admin()
    {
        var email = $"new-{Guid.NewGuid():N}@test.local";
        var id = await CreateAsync(email);

        var row = (await AsAdminAsync((admin, _) => admin.ListAsync())).Single(u => u.Id == id);
        Assert.Equal(email, row.Email);
        Assert.Equal([AppRoles.Editor], row.Roles);
        Assert.Equal(["acme"], row.Brands);
        Assert.Equal(["en-GB"], row.Locales);
        var audit = Assert.Single(await AuditForAsync(id));
        Assert.Equal(AuditActions.UserCreated, audit.Action);
        Assert.Equal(DemoLogins.For(AppRoles.Admin).Email, audit.Actor);
    }

    [Fact]
    public async Task Weak_password_and_duplicate_email_are_refused_with_plain_messages()
    {
        var weak = await Assert.ThrowsAsync<UserAdministrationException>(() =>
            AsAdminAsync((admin, _) => admin.CreateAsync(Sample with { Email = $"w-{Guid.NewGuid():N}@test.local" }, "short")));
        Assert.Contains("at least 12 characters", weak.Message);

        var email = $"dup-{Guid.NewGuid():N}@test.local";
        await CreateAsync(email);
        var duplicate = await Assert.ThrowsAsync<UserAdministrationException>(() => CreateAsync(email));
        Assert.Contains("already taken", duplicate.Message);
    }

    [Fact]
    public async Task Unknown_role_is_refused()
    {
        var error = await Assert.ThrowsAsync<UserAdministrationException>(() => CreateAsync(roles: ["Superhero"]));
        Assert.Contains("Unknown role: Superhero", error.Message);
    }

    [Fact]
    public async Task Changing_roles_and_scopes_audits_before_and_after_and_rotates_the_security_stamp()
    {
        var id = await CreateAsync();
        string? stampBefore;
        await using (var scope = app.Factory.Services.CreateAsyncScope())
            stampBefore = (await scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>().FindByIdAsync(id.ToString()))!.SecurityStamp;

        await AsAdminAsync(async (admin, actor) =>
        {
            await admin.UpdateAsync(id, Sample with { Roles = [AppRoles.ReleaseManager], Brands = ["globex"], Locales = ["fr-FR", "de-DE"] }, actor);
            return 0;
        });

        var row = (await AsAdminAsync((admin, _) => admin.ListAsync())).Single(u => u.Id == id);
        Assert.Equal([AppRoles.ReleaseManager], row.Roles);
        Assert.Equal(["globex"], row.Brands);
        Assert.Equal(["de-DE", "fr-FR"], row.Locales);
        var audit = await AuditForAsync(id);
        var roles = Assert.Single(audit, a => a.Action == AuditActions.RolesChanged);
        Assert.Contains("Editor", roles.Old);
        Assert.Contains("ReleaseManager", roles.New);
        var scopes = Assert.Single(audit, a => a.Action == AuditActions.ScopesChanged);
        Assert.Contains("acme", scopes.Old);
        Assert.Contains("globex", scopes.New);
        await using (var scope = app.Factory.Services.CreateAsyncScope())
            Assert.NotEqual(stampBefore, (await scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>().FindByIdAsync(id.ToString()))!.SecurityStamp);
    }

    [Fact]
    public async Task Disable_blocks_sign_in_and_enable_restores_it()
    {
        var email = $"d-{Guid.NewGuid():N}@test.local";
        var id = await CreateAsync(email);

        await AsAdminAsync(async (admin, actor) => { await admin.SetDisabledAsync(id, true, actor); return 0; });
        using (var client = app.Anonymous())
        {
            // Refused with the words of any failed sign-in: the page does not tell a stranger the account exists.
            var refused = await WebAppFixture.PostLoginAsync(client, email, "Long-Enough-Pass-1");
            Assert.Equal(System.Net.HttpStatusCode.OK, refused.StatusCode);
            Assert.Contains("do not match an account that can sign in", await refused.Content.ReadAsStringAsync());
        }

        await AsAdminAsync(async (admin, actor) => { await admin.SetDisabledAsync(id, false, actor); return 0; });
        using (var client = app.Anonymous())
            Assert.Equal(System.Net.HttpStatusCode.Redirect, (await WebAppFixture.PostLoginAsync(client, email, "Long-Enough-Pass-1")).StatusCode);

        Assert.Equal([AuditActions.UserCreated, AuditActions.UserDisabled, AuditActions.UserEnabled], (await AuditForAsync(id)).Select(a => a.Action).Where(a => a.StartsWith("user.")));
    }

    [Fact]
    public async Task An_admin_cannot_disable_themself_or_drop_their_own_admin_role()
    {
        var adminId = await AsAdminAsync((_, actor) => Task.FromResult(Guid.Parse(actor.FindFirstValue(ClaimTypes.NameIdentifier)!)));

        var disable = await Assert.ThrowsAsync<UserAdministrationException>(() =>
            AsAdminAsync(async (admin, actor) => { await admin.SetDisabledAsync(adminId, true, actor); return 0; }));
        Assert.Contains("your own account", disable.Message);

        var demote = await Assert.ThrowsAsync<UserAdministrationException>(() =>
            AsAdminAsync(async (admin, actor) => { await admin.UpdateAsync(adminId, Sample with { Roles = [AppRoles.Editor] }, actor); return 0; }));
        Assert.Contains("Admin role from yourself", demote.Message);
    }

    [Fact]
    public async Task Password_reset_lets_the_user_in_with_the_new_password_and_clears_a_lockout()
    {
        var email = $"p-{Guid.NewGuid():N}@test.local";
        var id = await CreateAsync(email);
        using (var client = app.Anonymous())
            for (var i = 0; i < 5; i++) await WebAppFixture.PostLoginAsync(client, email, "Wrong-Password-9");

        await AsAdminAsync(async (admin, _) => { await admin.ResetPasswordAsync(id, "Brand-New-Pass-77"); return 0; });

        using var fresh = app.Anonymous();
        Assert.Equal(System.Net.HttpStatusCode.Redirect, (await WebAppFixture.PostLoginAsync(fresh, email, "Brand-New-Pass-77")).StatusCode);
        Assert.Contains(await AuditForAsync(id), a => a.Action == AuditActions.PasswordReset);
    }
}
