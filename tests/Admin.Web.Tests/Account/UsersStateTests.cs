using Admin.Data.Account;
using Admin.Web.Features.Account;
using Admin.Web.Features.Account.Pages;

namespace Admin.Web.Tests.Account;

/// <summary>The users page's filter and the user editor's form, as plain classes.</summary>
public sealed class UsersStateTests
{
    private static UserRow User(string email, string name, params string[] roles) =>
        new(Guid.NewGuid(), email, name, false, null, 0, DateTimeOffset.UtcNow, roles, [], []);

    private static readonly IReadOnlyList<UserRow> People =
    [
        User("ada@admin.local", "Ada Admin", AppRoles.Admin),
        User("rita@admin.local", "Rita Release", AppRoles.ReleaseManager),
        User("dan@admin.local", "Dan", AppRoles.Dba),
    ];

    [Theory]
    [InlineData(null, "ada,rita,dan")]
    [InlineData("  ", "ada,rita,dan")]
    [InlineData("RITA", "rita")]
    [InlineData("admin", "ada,rita,dan")]
    [InlineData("Release manager", "rita")]
    [InlineData("dba", "dan")]
    [InlineData("nobody", "")]
    public void The_filter_matches_email_name_or_role_in_any_case(string? filter, string expected) =>
        Assert.Equal(expected, string.Join(",", UsersState.Apply(People, filter).Select(u => u.Email.Split('@')[0])));

    [Fact]
    public void The_form_trims_and_orders_what_it_hands_over()
    {
        var form = new UserForm
        {
            Email = "  rhea@test.local ", DisplayName = " Rhea ",
            Roles = [AppRoles.Dba, AppRoles.Admin], Brands = ["globex", "acme"], Locales = ["en-GB", "de-DE"],
        };

        var change = form.ToChange();

        Assert.Equal("rhea@test.local", change.Email);
        Assert.Equal("Rhea", change.DisplayName);
        Assert.Equal([AppRoles.Admin, AppRoles.Dba], change.Roles);
        Assert.Equal(["acme", "globex"], change.Brands);
        Assert.Equal(["de-DE", "en-GB"], change.Locales);
    }

    [Theory]
    [InlineData("rhea@test.local", null)]
    [InlineData("", null)]
    [InlineData("rhea.example", "Enter a valid email address.")]
    public void An_email_is_checked_only_once_typed(string email, string? error) =>
        Assert.Equal(error, UserForm.EmailError(email));

    [Fact]
    public void A_generated_password_meets_the_policy()
    {
        for (var i = 0; i < 20; i++)
            Assert.Matches("^(?=.*[a-z])(?=.*[A-Z])(?=.*[0-9]).{16}$", Passwords.Generate());
    }
}
