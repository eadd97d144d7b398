using System.Net;
using Admin.TestSupport;
using Admin.Web.Features.Account;
using Admin.Web.Tests.Live;
using Microsoft.AspNetCore.SignalR.Client;

namespace Admin.Web.Tests.Account;

/// <summary>
/// A disabled or demoted user loses every path within the revalidation interval (here 1 s instead of a minute): the
/// cookie on plain requests such as the audit export, and open hub connections. The app is served by Kestrel, so the
/// cookie and the hub travel as they do for a browser.
/// </summary>
public sealed class SessionRevocationTests : IAsyncLifetime
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
    private TestDatabase _db = default!;
    private AdminAppFactory _factory = default!;
    private Uri _server = default!;

    public async Task InitializeAsync()
    {
        _db = await TestDatabase.CreateAsync();
        _factory = new AdminAppFactory(_db, settings: new Dictionary<string, string?>
        {
            ["Account:RevalidationSeconds"] = Interval.TotalSeconds.ToString(),
        });
        _server = _factory.StartKestrel();
    }

    public async Task DisposeAsync()
    {
        await _factory.DisposeAsync();
        await _db.DisposeAsync();
    }

    private async Task<HttpClient> SignedInAsync(string email)
    {
        var client = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false }) { BaseAddress = _server };
        Assert.Equal(HttpStatusCode.Redirect, (await WebAppFixture.PostLoginAsync(client, email, TestAccounts.Password)).StatusCode);
        return client;
    }

    public static TheoryData<string> Ways => new() { "disabled", "demoted", "disabled in SQL" };

    /// <summary>What takes the user's access away, as an admin (or an operator in SQL) would.</summary>
    private async Task RevokeAsync(string how, Guid user)
    {
        switch (how)
        {
            case "disabled":
                await TestAccounts.AsAdminAsync(_factory.Services, (users, admin) => users.SetDisabledAsync(user, true, admin));
                break;
            case "demoted":
                await TestAccounts.AsAdminAsync(_factory.Services, (users, admin) =>
                    users.UpdateAsync(user, new UserChange("", "Demoted", [AppRoles.Editor], [], []), admin));
                break;
            case "disabled in SQL": // no new security stamp: only the disabled flag can end the session
                await using (var owner = await _db.OpenAsync(TestPostgres.OwnerRole))
                    await owner.ExecuteAsync($"UPDATE users SET is_disabled = true WHERE id = '{user}'");
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(how));
        }
    }

    [Theory]
    [MemberData(nameof(Ways))]
    public async Task The_export_cookie_stops_working_once_the_interval_has_passed(string how)
    {
        var user = await TestAccounts.CreateAsync(_factory.Services, AppRoles.Dba, "export");
        using var client = await SignedInAsync(user.Email);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/audit/export?format=csv")).StatusCode);

        await RevokeAsync(how, user.Id);
        await Task.Delay(Interval + TimeSpan.FromMilliseconds(500));

        var after = await client.GetAsync("/audit/export?format=csv");
        Assert.Equal(HttpStatusCode.Redirect, after.StatusCode);
        Assert.Equal("/Account/Login", after.Headers.Location!.AbsolutePath);
    }

    [Theory]
    [MemberData(nameof(Ways))]
    public async Task An_open_hub_connection_is_closed_once_the_user_loses_access_and_others_stay_open(string how)
    {
        var user = await TestAccounts.CreateAsync(_factory.Services, AppRoles.Dba, "hub");
        var bystander = await TestAccounts.CreateAsync(_factory.Services, AppRoles.Dba, "bystander");
        await using var revoked = await HubClient.ConnectAsync(_server, user.Email, TestAccounts.Password);
        await using var other = await HubClient.ConnectAsync(_server, bystander.Email, TestAccounts.Password);
        await revoked.SubscribeAsync(Areas.Audit.Key);
        await other.SubscribeAsync(Areas.Audit.Key);

        await RevokeAsync(how, user.Id);

        await revoked.Closed.WaitAsync(5 * Interval + TimeSpan.FromSeconds(2));
        Assert.Equal(HubConnectionState.Disconnected, revoked.Connection.State);
        await Task.Delay(2 * Interval);
        Assert.Equal(HubConnectionState.Connected, other.Connection.State);
        await other.SubscribeAsync(Areas.Database.Key);
    }
}
