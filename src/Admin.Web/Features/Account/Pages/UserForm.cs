using Admin.Data.Account;

namespace Admin.Web.Features.Account.Pages;

/// <summary>The user editor's fields as typed and ticked; <see cref="ToChange"/> gives what the administration service gets.</summary>
public sealed class UserForm
{
    public string Email { get; set; } = "";
    public string DisplayName { get; set; } = "";
    public string? Password { get; set; }
    public List<string> Roles { get; set; } = [];
    public List<string> Brands { get; set; } = [];
    public List<string> Locales { get; set; } = [];

    public static UserForm From(UserRow user) => new()
    {
        Email = user.Email, DisplayName = user.DisplayName,
        Roles = [.. user.Roles], Brands = [.. user.Brands], Locales = [.. user.Locales],
    };

    /// <summary>Roles, brands and locales in a stable order, whatever order they were ticked in.</summary>
    public UserChange ToChange() => new(Email.Trim(), DisplayName.Trim(),
        AppRoles.All.Where(Roles.Contains).ToList(), Brands.Order().ToList(), Locales.Order().ToList());

    /// <summary>Why <paramref name="email"/> is not an email address, or null (an empty one is the required check's to refuse).</summary>
    public static string? EmailError(string? email) =>
        string.IsNullOrWhiteSpace(email) || new System.ComponentModel.DataAnnotations.EmailAddressAttribute().IsValid(email.Trim())
            ? null
            : "Enter a valid email address.";
}
