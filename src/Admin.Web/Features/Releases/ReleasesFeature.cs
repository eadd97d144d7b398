namespace Admin.Web.Features.Releases;

/// <summary>The releases area needs nothing of its own in Web: <c>ReleaseService</c> is registered by Admin.Data.</summary>
public static class ReleasesFeature
{
    public static IServiceCollection AddReleasesFeature(this IServiceCollection services) => services;
}
