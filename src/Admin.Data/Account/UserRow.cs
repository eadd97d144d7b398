namespace Admin.Data.Account;

/// <summary>A console user as the users page lists them: account state, roles and brand/locale scopes.</summary>
public sealed record UserRow(
    Guid Id, string Email, string DisplayName, bool IsDisabled, DateTimeOffset? LockoutEnd, int FailedAttempts,
    DateTimeOffset CreatedAt, IReadOnlyList<string> Roles, IReadOnlyList<string> Brands, IReadOnlyList<string> Locales)
{
    public bool IsLockedOut => LockoutEnd is { } end && end > DateTimeOffset.UtcNow && !IsDisabled;
}
