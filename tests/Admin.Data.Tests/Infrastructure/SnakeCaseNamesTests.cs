using Admin.Data.Infrastructure;

namespace Admin.Data.Tests.Infrastructure;

public sealed class SnakeCaseNamesTests
{
    [Theory]
    [InlineData("UserId", "user_id")]
    [InlineData("HTTPRequest", "http_request")]
    [InlineData("AspNetUsers", "asp_net_users")]
    [InlineData("already_snake", "already_snake")]
    [InlineData("Id", "id")]
    [InlineData("IPAddress", "ip_address")]
    [InlineData("ClientIP", "client_ip")]
    [InlineData("Address2Line", "address2_line")]
    [InlineData("pk_AuditEvents", "pk_audit_events")]
    public void Converts(string name, string expected) => Assert.Equal(expected, SnakeCaseNames.ToSnakeCase(name));
}
