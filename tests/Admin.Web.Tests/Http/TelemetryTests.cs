using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Admin.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Admin.Web.Tests.Http;

/// <summary>
/// The request id and the trace id travel together: in problem details, in log scopes and in audit rows; with
/// OTEL_EXPORTER_OTLP_ENDPOINT set, traces (requests and Npgsql) and metrics are exported over OTLP.
/// </summary>
public sealed class TelemetryTests
{
    private static string NewTraceId() => Convert.ToHexStringLower(Guid.NewGuid().ToByteArray());

    private static HttpClient Traced(AdminAppFactory app, string traceId)
    {
        var client = app.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        client.DefaultRequestHeaders.Add("traceparent", $"00-{traceId}-{Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..16]}-01");
        return client;
    }

    /// <summary>Log records with their scopes flattened, as the JSON console writes them.</summary>
    private sealed class CapturingLogger : ILoggerProvider, ISupportExternalScope
    {
        private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();
        public ConcurrentQueue<Dictionary<string, object?>> Records { get; } = new();
        public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;
        public ILogger CreateLogger(string categoryName) => new Logger(this);
        public void Dispose() { }

        private sealed class Logger(CapturingLogger owner) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => owner._scopes.Push(state);
            public bool IsEnabled(LogLevel logLevel) => true;
            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                var record = new Dictionary<string, object?> { ["Message"] = formatter(state, exception) };
                owner._scopes.ForEachScope((scope, r) =>
                {
                    if (scope is IEnumerable<KeyValuePair<string, object?>> pairs)
                        foreach (var (key, value) in pairs) r[key] = value;
                }, record);
                owner.Records.Enqueue(record);
            }
        }
    }

    [Fact]
    public async Task Problem_details_logs_and_audit_rows_carry_the_request_id_and_the_trace_id_together()
    {
        await using var db = await TestDatabase.CreateAsync();
        var logs = new CapturingLogger();
        await using var app = new AdminAppFactory(db);
        // "Executing endpoint …" is logged inside the request's scope.
        await using var logged = app.WithWebHostBuilder(b => b
            .UseSetting("Logging:LogLevel:Microsoft.AspNetCore.Routing.EndpointMiddleware", "Information")
            .ConfigureServices(s => s.AddSingleton<ILoggerProvider>(logs)));
        var traceId = NewTraceId();
        using var loggedClient = logged.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        loggedClient.DefaultRequestHeaders.Add("traceparent", $"00-{traceId}-0123456789abcdef-01");

        // Problem details: the delivery API's 404 and the deployments API's 401.
        var missing = await loggedClient.GetAsync("/api/content/homepage/xx-XX");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        var problem = JsonNode.Parse(await missing.Content.ReadAsStringAsync())!;
        Assert.Equal(missing.Headers.GetValues("X-Request-Id").Single(), problem["requestId"]!.GetValue<string>());
        Assert.Contains(traceId, problem["traceId"]!.GetValue<string>());

        // Logs: every record of the request has both in its scope.
        var demo = DemoLogins.For(Admin.Web.Features.Account.AppRoles.Admin);
        var login = await WebAppFixture.PostLoginAsync(loggedClient, demo.Email, demo.Password);
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        var requestId = login.Headers.GetValues("X-Request-Id").Single();
        var ofLogin = logs.Records.Where(r => Equals(r.GetValueOrDefault("RequestId"), requestId)).ToList();
        Assert.NotEmpty(ofLogin);
        Assert.All(ofLogin, r => Assert.Equal(traceId, r.GetValueOrDefault("TraceId")?.ToString()));

        // The audit row of the sign-in.
        await using var connection = await db.OpenAppAsAdminAsync();
        Assert.Equal(traceId, await connection.ScalarAsync<string>(
            $"SELECT trace_id FROM audit_events WHERE action = 'auth.login' AND request_id = '{requestId}'"));
    }

    [Fact]
    public async Task With_an_otlp_endpoint_traces_of_requests_and_npgsql_and_metrics_are_exported()
    {
        // A stand-in collector: OTLP over HTTP (protobuf), bodies kept by path.
        var received = new ConcurrentQueue<(string Path, byte[] Body)>();
        var collectorBuilder = WebApplication.CreateSlimBuilder();
        collectorBuilder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var collector = collectorBuilder.Build();
        collector.MapPost("/v1/{signal}", async (HttpContext http, string signal) =>
        {
            using var buffer = new MemoryStream();
            await http.Request.Body.CopyToAsync(buffer);
            received.Enqueue(("/v1/" + signal, buffer.ToArray()));
            return Results.Ok();
        });
        await collector.StartAsync();
        var endpoint = collector.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

        await using var db = await TestDatabase.CreateAsync();
        await using var app = new AdminAppFactory(db, demoSeed: false, new Dictionary<string, string?>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "100",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "300",
        });
        var traceId = NewTraceId();
        using var client = Traced(app, traceId);
        await Readyz.WaitReadyAsync(client);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/content/homepage/xx-XX")).StatusCode);

        var traceBytes = Convert.FromHexString(traceId);
        byte[]? ours = null;
        for (var i = 0; i < 100 && ours is null; i++)
        {
            ours = received.Where(r => r.Path == "/v1/traces").Select(r => r.Body)
                .FirstOrDefault(b => b.AsSpan().IndexOf(traceBytes) >= 0 && Encoding.UTF8.GetString(b).Contains("/api/content/homepage"));
            if (ours is null) await Task.Delay(100);
        }
        Assert.NotNull(ours);
        var text = Encoding.UTF8.GetString(ours);
        Assert.Contains(Admin.Web.Infrastructure.Telemetry.ServiceName, text); // service.name
        Assert.Contains("/api/content/homepage", text);                       // the request's span
        Assert.True(received.Any(r => r.Path == "/v1/traces" && Encoding.UTF8.GetString(r.Body).Contains("postgresql")),
            "an Npgsql span (db.system postgresql)");
        for (var i = 0; i < 50 && !received.Any(r => r.Path == "/v1/metrics"); i++) await Task.Delay(100);
        Assert.Contains(received, r => r.Path == "/v1/metrics" && Encoding.UTF8.GetString(r.Body).Contains("http.server.request.duration"));
    }
}
