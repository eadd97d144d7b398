using Admin.Data.Session;

namespace Admin.TestSupport;

/// <summary>Session contexts that read past row-level security on purpose, for tests that check what was stored.</summary>
public static class TestContexts
{
    public static readonly SessionContext Admin =
        new(Guid.Parse("00000000-0000-0000-0000-0000000000a1"), "admin@test.local", ["Admin"], [], [], "test");

    /// <summary>SET statements that give a raw app-role connection the Admin context.</summary>
    public const string AdminSql = "SELECT set_config('app.roles', 'Admin', false), set_config('app.user_email', 'admin@test.local', false)";
}
