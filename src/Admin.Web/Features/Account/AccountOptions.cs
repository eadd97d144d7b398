namespace Admin.Web.Features.Account;

/// <summary>The "Account" configuration section (appsettings.json, or environment variables such as Account__RevalidationSeconds).</summary>
public sealed class AccountOptions
{
    public const string Section = "Account";

    /// <summary>
    /// How often every long-lived session is checked again against the database (the cookie's security stamp, Blazor
    /// circuits, hub connections): a disabled user, a role or scope change or a password reset ends them within it.
    /// </summary>
    public int RevalidationSeconds { get; set; } = 60;

    public TimeSpan RevalidationInterval => TimeSpan.FromSeconds(RevalidationSeconds);

    /// <summary>Throttling of the sign-in form (<see cref="SignInThrottle"/>).</summary>
    public SignInThrottleOptions SignIn { get; set; } = new();
}

public sealed class SignInThrottleOptions
{
    /// <summary>Sign-in attempts per client address: generous, since an office may share one address.</summary>
    public SignInLimit PerAddress { get; set; } = new() { PermitLimit = 30, WindowSeconds = 60 };

    /// <summary>Sign-in attempts per account (normalised email, whether or not such an account exists).</summary>
    public SignInLimit PerAccount { get; set; } = new() { PermitLimit = 10, WindowSeconds = 300 };

    /// <summary>How often the refused attempts are written to the audit trail as one summary row.</summary>
    public int SummarySeconds { get; set; } = 60;
}

/// <summary>A fixed window: at most PermitLimit attempts per WindowSeconds; a PermitLimit of 0 turns the limit off.</summary>
public sealed class SignInLimit
{
    public int PermitLimit { get; set; }
    public int WindowSeconds { get; set; }
}
