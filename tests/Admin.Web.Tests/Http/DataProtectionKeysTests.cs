using System.Net;
using Admin.TestSupport;
using Admin.Web.Features.Account;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Admin.Web.Tests.Http;

/// <summary>
/// The data-protection key ring lives in PostgreSQL: two app instances on one database read each other's sign-in
/// cookies without sharing a directory, and the keys are rows of data_protection_keys that only the app role reads.
/// </summary>
public sealed class DataProtectionKeysTests
{
    [Fact]
    public async Task A_cookie_issued_by_one_instance_is_accepted_by_another_on_the_same_database()
    {
        await using var db = await TestDatabase.CreateAsync();
        await using var first = new AdminAppFactory(db);
        await using var second = new AdminAppFactory(db, demoSeed: false);
        var demo = DemoLogins.For(AppRoles.Admin);

        using var signIn = first.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var login = await WebAppFixture.PostLoginAsync(signIn, demo.Email, demo.Password);
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        var cookie = login.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("admin.auth=", StringComparison.Ordinal)).Split(';')[0];

        using var other = second.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        other.DefaultRequestHeaders.Add("Cookie", cookie);
        var page = await other.GetAsync("/admin/users");

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        await using var super = await TestPostgres.OpenSuperuserAsync(db.Name);
        Assert.True(await super.ScalarAsync<long>("SELECT count(*) FROM data_protection_keys WHERE xml LIKE '<key %'") >= 1);
        Assert.Equal("f|f", await super.ScalarAsync<string>(
            "SELECT concat_ws('|', has_table_privilege('admin_explain', 'data_protection_keys', 'SELECT'), has_table_privilege('admin_app', 'data_protection_keys', 'UPDATE'))"));
    }
}
