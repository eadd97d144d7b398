namespace Admin.Web.Features.Account.Pages;

public static class Passwords
{
    /// <summary>16 characters from an alphabet without look-alikes, with one of each class the policy requires.</summary>
    public static string Generate()
    {
        const string alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        var chars = System.Security.Cryptography.RandomNumberGenerator.GetItems<char>(alphabet, 13);
        return new string(chars) + "Ab7";
    }
}
