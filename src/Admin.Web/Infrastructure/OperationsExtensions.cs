using Admin.Data;
using Admin.Data.Infrastructure;
using Admin.Data.Migrations;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Admin.Web.Infrastructure;

/// <summary>Logging, request ids, health and readiness endpoints, error handling: what operators rely on.</summary>
public static class OperationsExtensions
{
    public static WebApplicationBuilder AddOperations(this WebApplicationBuilder builder)
    {
        builder.Services.Configure<AdminOptions>(builder.Configuration.GetSection(AdminOptions.Section));

        builder.Logging.ClearProviders();
        // Every log line's scope carries the trace and span ids beside the request id (RequestIdMiddleware).
        builder.Logging.Configure(o => o.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId);
        if (builder.Configuration.GetValue("Logging:Json", !builder.Environment.IsDevelopment()))
            builder.Logging.AddJsonConsole(o => { o.IncludeScopes = true; o.TimestampFormat = "O"; o.UseUtcTimestamp = true; });
        else
            builder.Logging.AddSimpleConsole(o => { o.IncludeScopes = true; o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; });

        builder.Services.AddProblemDetails(o => o.CustomizeProblemDetails = c =>
        {
            c.ProblemDetails.Extensions["requestId"] = c.HttpContext.TraceIdentifier;
            c.ProblemDetails.Extensions["traceId"] = Telemetry.TraceId(c.HttpContext);
        });
        builder.AddTelemetry();

        // One key ring for every instance, in the database (table data_protection_keys): a cookie issued by one instance
        // is read by the others, and no key material lives in a folder of the app.
        builder.Services.AddDataProtection()
            .SetApplicationName("Admin")
            .PersistKeysToDbContext<DataProtectionKeysContext>();

        builder.Services.AddHealthChecks().AddReadinessChecks();
        return builder;
    }

    /// <summary>Requests from programs (API, SignalR, health probes) get status codes, never redirects or HTML pages.</summary>
    public static bool IsMachineRequest(HttpRequest request) =>
        request.Path.StartsWithSegments("/api") || request.Path.StartsWithSegments("/hubs") ||
        request.Path.StartsWithSegments("/healthz") || request.Path.StartsWithSegments("/readyz");

    public static WebApplication UseOperations(this WebApplication app)
    {
        app.UseMiddleware<RequestIdMiddleware>();
        // The same friendly page (with the request id) in every environment; the log has the stack trace.
        app.UseExceptionHandler("/error", createScopeForErrors: true);
        if (!app.Environment.IsDevelopment()) app.UseHsts();
        // Browsers get a friendly page for 4xx/5xx without a body; API and hub callers keep the bare status.
        app.UseWhen(c => !IsMachineRequest(c.Request),
            b => b.UseStatusCodePagesWithReExecute("/status/{0}", createScopeForStatusCodePages: true));
        // Routing after the error and status-code handlers, so a re-executed request is routed again.
        app.UseRouting();

        // /healthz: the process is alive. /readyz: JSON with one entry per dependency (database, listener, migrations).
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false }).AllowAnonymous();
        app.MapHealthChecks("/readyz", new HealthCheckOptions
        {
            Predicate = c => c.Tags.Contains(Readiness.Tag),
            ResponseWriter = Readiness.WriteAsync,
        }).AllowAnonymous();
        return app;
    }
}
