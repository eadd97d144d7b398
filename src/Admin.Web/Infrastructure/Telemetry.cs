using System.Diagnostics;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Admin.Web.Infrastructure;

/// <summary>
/// OpenTelemetry traces, metrics and logs: ASP.NET Core (requests, Blazor circuits), HttpClient, Npgsql and the runtime.
/// Exported over OTLP when the standard OTEL_EXPORTER_OTLP_ENDPOINT is set (with OTEL_EXPORTER_OTLP_PROTOCOL,
/// OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES… as the SDK reads them); otherwise nothing is exported and nothing is
/// printed. Either way every request has a trace id, which logs, problem details and audit rows carry beside the
/// request id.
/// </summary>
public static class Telemetry
{
    public const string ServiceName = "admin";
    public const string EndpointSetting = "OTEL_EXPORTER_OTLP_ENDPOINT";

    // Built into .NET: HttpClient and runtime instruments need no instrumentation package. Blazor's render and event
    // activities start traces of their own, linked to the request's or the circuit's.
    private static readonly string[] Sources = ["System.Net.Http", "Microsoft.AspNetCore.SignalR.Server", "Microsoft.AspNetCore.Components",
        "Microsoft.AspNetCore.Components.Server.Circuits"];
    private static readonly string[] Meters =
    [
        "System.Runtime", "System.Net.Http", "Npgsql", "Microsoft.AspNetCore.Server.Kestrel", "Microsoft.AspNetCore.Components",
        "Microsoft.AspNetCore.Components.Lifecycle", "Microsoft.AspNetCore.Components.Server.Circuits", "Microsoft.AspNetCore.Authentication",
    ];

    /// <summary>The current trace id (32 hex digits), or null outside a trace.</summary>
    public static string? TraceId() => TraceIdOf(Activity.Current);

    /// <summary>
    /// The trace of the HTTP request itself: Blazor starts activities of its own while it handles a form post (new
    /// traces, linked to the request's), and an audit row of the request belongs to the request's trace.
    /// </summary>
    public static string? TraceId(HttpContext http) =>
        TraceIdOf(http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpActivityFeature>()?.Activity ?? Activity.Current);

    private static string? TraceIdOf(Activity? activity) =>
        activity is { } a && a.TraceId != default ? a.TraceId.ToHexString() : null;

    public static WebApplicationBuilder AddTelemetry(this WebApplicationBuilder builder)
    {
        var exporting = !string.IsNullOrWhiteSpace(builder.Configuration[EndpointSetting]);
        var otel = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(ServiceName, serviceVersion: typeof(Telemetry).Assembly.GetName().Version?.ToString()))
            .WithTracing(t => t
                .AddAspNetCoreInstrumentation(o => o.Filter = c => !IsProbe(c.Request.Path))
                .AddNpgsql()
                .AddSource(Sources))
            .WithMetrics(m => m
                .AddAspNetCoreInstrumentation()
                .AddMeter(Meters));
        if (exporting)
        {
            otel.WithLogging(configureBuilder: null, configureOptions: o => { o.IncludeScopes = true; o.IncludeFormattedMessage = true; });
            otel.UseOtlpExporter();
        }
        return builder;
    }

    private static bool IsProbe(PathString path) =>
        path.StartsWithSegments("/healthz") || path.StartsWithSegments("/readyz") || path.StartsWithSegments("/_framework");
}
