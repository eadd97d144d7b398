using Admin.Data.Account;
using Admin.Data.Reference;

namespace Admin.Web.Features.Account.Pages;

/// <summary>The users page's state: every user, the ones the filter shows, and the brands and locales a user may be scoped to.</summary>
public sealed class UsersState(UserAdministration admin, ReferenceQueries reference)
{
    public IReadOnlyList<UserRow> All { get; private set; } = [];
    public IReadOnlyList<UserRow> Visible { get; private set; } = [];
    public IReadOnlyList<string> Brands { get; private set; } = [];
    public IReadOnlyList<string> Locales { get; private set; } = [];
    public string? Filter { get; private set; }

    public async Task LoadAsync()
    {
        Brands = (await reference.BrandsAsync()).Select(b => b.Code).Order(StringComparer.Ordinal).ToList();
        Locales = (await reference.LocalesAsync()).Select(l => l.Code).Order(StringComparer.Ordinal).ToList();
        await ReloadAsync();
    }

    public async Task ReloadAsync()
    {
        All = await admin.ListAsync();
        Visible = Apply(All, Filter);
    }

    public void SetFilter(string? filter)
    {
        Filter = filter;
        Visible = Apply(All, filter);
    }

    /// <summary>The users whose email, display name or a role contains <paramref name="filter"/> (any case); all without one.</summary>
    public static IReadOnlyList<UserRow> Apply(IReadOnlyList<UserRow> users, string? filter)
    {
        var f = filter?.Trim();
        return string.IsNullOrEmpty(f)
            ? users
            : users.Where(u => u.Email.Contains(f, StringComparison.OrdinalIgnoreCase)
                               || u.DisplayName.Contains(f, StringComparison.OrdinalIgnoreCase)
                               || u.Roles.Any(r => r.Contains(f, StringComparison.OrdinalIgnoreCase) || AppRoles.Label(r).Contains(f, StringComparison.OrdinalIgnoreCase)))
                .ToList();
    }
}
