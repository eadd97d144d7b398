using Admin.Web.Features.Account;

namespace Admin.Web.Tests.Account;

public sealed class HomePageTests(WebAppFixture app) : IClassFixture<WebAppFixture>
{
    [Fact]
    public async Task The_audit_chart_is_named_for_what_the_role_reads_and_missing_for_roles_without_audit()
    {
        var admin = await app.PageAsync("/", AppRoles.Admin);
        Assert.Contains("Audit events per hour, last 24 hours", admin);
        Assert.DoesNotContain("data-testid=\"audit-scope\"", admin);

        // Row-level security shows a DBA the database.* actions only: the chart says so.
        var dba = await app.PageAsync("/", AppRoles.Dba);
        Assert.Contains("Database actions per hour, last 24 hours", dba);
        Assert.Contains("not sign-ins or content changes", dba);
        Assert.DoesNotContain("Audit events per hour", dba);

        var editor = await app.PageAsync("/", AppRoles.Editor);
        Assert.DoesNotContain("per hour, last 24 hours", editor);
    }
}
