using Admin.Data.Deployments;
using Admin.Web.Features.Deployments.Api;
using Microsoft.AspNetCore.Authentication;
using Microsoft.OpenApi;

namespace Admin.Web.Features.Deployments;

public static class DeploymentsFeature
{
    public const string SwaggerPath = "api-docs";

    public static IServiceCollection AddDeploymentsFeature(this IServiceCollection services)
    {
        services.AddDeploymentsData(sp =>
        {
            var configuration = sp.GetRequiredService<IConfiguration>();
            return (configuration.GetConnectionString(Infrastructure.DatabaseExtensions.AppConnectionName)!,
                configuration.GetValue<int?>("Deployments:IngestionConnections"));
        });
        services.AddHostedService<IdempotencyRetention>();

        // A scheme of its own for CI/CD tokens; only the API's policy names it, so pages keep the Identity cookie.
        services.AddAuthentication().AddScheme<AuthenticationSchemeOptions, DeployTokenHandler>(DeployTokenHandler.SchemeName, null);
        var policies = services.AddAuthorizationBuilder().AddPolicy(DeployTokenHandler.Policy,
            p => p.AddAuthenticationSchemes(DeployTokenHandler.SchemeName).RequireAuthenticatedUser());
        ExportEndpoint.AddPolicy(policies);

        services.AddOpenApi(o =>
        {
            o.ShouldInclude = d => d.RelativePath?.StartsWith("api/deployments", StringComparison.Ordinal) == true;
            o.AddDocumentTransformer((document, _, _) =>
            {
                document.Info.Title = "Admin deployments API";
                document.Info.Description = "Deployment ingestion for CI/CD systems. Authenticate with an API token that an Admin " +
                                            "creates at /deployments/tokens: `Authorization: Bearer adm_…`.";
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
                document.Components.SecuritySchemes["bearer"] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http, Scheme = "bearer", Description = "API token (adm_…)",
                };
                document.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("bearer", document)] = [] }];
                return Task.CompletedTask;
            });
        });
        return services;
    }

    public static WebApplication MapDeploymentsFeature(this WebApplication app)
    {
        app.MapOpenApi().AllowAnonymous();
        // Signed-in users only (the fallback policy applies: it is middleware, not an endpoint).
        app.UseSwaggerUI(o =>
        {
            o.RoutePrefix = SwaggerPath;
            o.SwaggerEndpoint("/openapi/v1.json", "Deployments API v1");
            o.DocumentTitle = "Deployments API · Admin";
        });
        var api = app.MapDeploymentApi();
        api.MapExport();
        api.MapChecks();
        app.MapDoraApi();
        return app;
    }
}
