namespace Admin.Web.Infrastructure;

/// <summary>The "Admin" configuration section (appsettings.json, or environment variables such as Admin__DemoSeed).</summary>
public sealed class AdminOptions
{
    public const string Section = "Admin";

    /// <summary>Seed reference data and the demo users at start-up. Development only.</summary>
    public bool DemoSeed { get; set; }

    /// <summary>With DemoSeed: also seed demo catalog and homepage sections (tests that need empty locales turn it off).</summary>
    public bool DemoContent { get; set; } = true;

    /// <summary>Apply pending migrations at start-up (as the owner role).</summary>
    public bool MigrateOnStartup { get; set; } = true;
}
