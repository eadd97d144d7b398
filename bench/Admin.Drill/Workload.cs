using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Admin.Data;
using Admin.Data.Content;
using Admin.Data.Deployments;
using Admin.Data.Session;
using Admin.TestSupport;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Admin.Drill;

/// <summary>
/// The traffic of a working day, compressed. Over HTTP through nginx: CI systems reporting deployments and their
/// statuses (token, Idempotency-Key, retried with the same key as a CI job would), CSV exports, the storefront reading
/// the delivery API. Editors (saves, publishes, schedules) and release managers (approvals) work in Blazor pages, so
/// the drill calls the same Admin.Data services those pages call, from its own process, straight to PostgreSQL.
/// </summary>
public sealed class Workload(Journal journal, Uri balancer, string token, NpgsqlDataSource appData, People people)
{
    /// <summary>How long a client keeps retrying one call after the load stops (so a call caught by the last fault still lands).</summary>
    private static readonly TimeSpan RetryAfterStop = TimeSpan.FromSeconds(40);

    private readonly HttpClient _http = CreateClient(balancer, token);

    private static HttpClient CreateClient(Uri balancer, string token)
    {
        var handler = new SocketsHttpHandler { UseCookies = false, ConnectTimeout = TimeSpan.FromSeconds(3), PooledConnectionLifetime = TimeSpan.FromSeconds(30) };
        var client = new HttpClient(handler) { BaseAddress = balancer, Timeout = TimeSpan.FromSeconds(20) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public Task RunAsync(int ciClients, int editors, CancellationToken stop) => Task.WhenAll(
    [
        .. Enumerable.Range(0, ciClients).Select(i => Task.Run(() => CiClientAsync(i, stop))),
        .. Enumerable.Range(0, editors).Select(i => Task.Run(() => EditorAsync(i, stop))),
        Task.Run(() => ExportsAsync(stop)),
        Task.Run(() => StorefrontAsync(stop)),
    ]);

    // ------------------------------------------------------------------------------------------------ CI over HTTP

    private async Task CiClientAsync(int client, CancellationToken stop)
    {
        for (var run = 0; !stop.IsCancellationRequested; run++)
        {
            var externalId = $"drill-{client}-{run}-{Guid.NewGuid():N}"[..40];
            var production = run % 4 == 3;
            var created = await SendAsync("create", "/api/deployments", JsonSerializer.Serialize(new
            {
                externalId, service = "drill-shop", environment = production ? "production" : "staging", version = $"1.{run}.0", commitSha = "a1b2c3d4e5f6",
            }), $"{externalId}-create", stop);
            if (created is null) return;
            journal.Acknowledged(new Ack.DeploymentCreated(externalId));
            if (production)
            {
                var id = JsonDocument.Parse(created).RootElement.GetProperty("id").GetInt64();
                if (!await ApproveAsync(id, stop)) return;
            }
            string[] steps = ["in_progress", "in_progress", "in_progress", "in_progress", "in_progress", "succeeded"];
            for (var step = 0; step < steps.Length; step++)
            {
                var message = $"{externalId} step {step}";
                var posted = await SendAsync("status", $"/api/deployments/{externalId}/status",
                    JsonSerializer.Serialize(new { status = steps[step], message }), $"{externalId}-{step}", stop);
                if (posted is null) return;
                journal.Acknowledged(new Ack.StatusPosted(externalId, steps[step], message));
                await Pace(TimeSpan.FromMilliseconds(100), stop);
            }
        }
    }

    /// <summary>
    /// A POST with its Idempotency-Key, retried with the same key until a 2xx (what a CI job does); null when the load
    /// stopped and the retries ran out, or on an answer no retry can change (a 4xx, recorded as an error).
    /// </summary>
    private async Task<string?> SendAsync(string kind, string path, string json, string key, CancellationToken stop)
    {
        DateTime? giveUpAt = null;
        while (true)
        {
            if (stop.IsCancellationRequested)
            {
                giveUpAt ??= DateTime.UtcNow + RetryAfterStop;
                if (DateTime.UtcNow > giveUpAt) return null;
            }
            var start = journal.Now;
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
                request.Headers.Add("Idempotency-Key", key);
                using var response = await _http.SendAsync(request);
                var body = await response.Content.ReadAsStringAsync();
                var status = (int)response.StatusCode;
                var ok = response.IsSuccessStatusCode;
                journal.Record(new Attempt(kind, start, journal.Now, ok, status, ok ? null : Trim(body)));
                if (ok) return body;
                if (status is >= 400 and < 500 and not (408 or 429)) return null;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
            {
                journal.Record(new Attempt(kind, start, journal.Now, false, null, Journal.Describe(e)));
            }
            await Task.Delay(300, CancellationToken.None);
        }
    }

    /// <summary>The release manager approves in the console (DeploymentService.DecideAsync, as the approvals page does).</summary>
    private async Task<bool> ApproveAsync(long id, CancellationToken stop)
    {
        var service = new DeploymentService(Contexts(people.ReleaseManager), new FixedSessionContextSource(people.ReleaseManager));
        var failed = false;
        DateTime? giveUpAt = null;
        while (true)
        {
            try
            {
                await journal.TimeAsync("approve", async () => { await service.DecideAsync(id, true, "drill: approved"); return 0; });
                journal.Acknowledged(new Ack.Approved(id));
                return true;
            }
            catch (DeploymentException) when (failed)
            {
                return true; // an earlier attempt committed but its answer was lost: not acknowledged, yet done
            }
            catch (Exception e) when (e is not DeploymentException)
            {
                failed = true;
            }
            if (stop.IsCancellationRequested && DateTime.UtcNow > (giveUpAt ??= DateTime.UtcNow + RetryAfterStop)) return false;
            await Task.Delay(300, CancellationToken.None);
        }
    }

    // ------------------------------------------------------------------------------------------------ editors

    private async Task EditorAsync(int editor, CancellationToken stop)
    {
        var content = new ContentService(Contexts(people.Editor), new FixedSessionContextSource(people.Editor));
        var sections = new List<(Guid Id, int Latest)>();
        for (var i = 0; i < 2; i++)
        {
            var key = $"drill-{editor}-{i}-{Guid.NewGuid():N}"[..30];
            var id = await UntilDoneAsync("create-section", () => content.CreateAsync(new NewSection("en-GB", key, "hero", ContentFixtures.Hero($"Drill {key}"))), stop);
            if (id is not { } created) return;
            journal.Acknowledged(new Ack.VersionSaved(created, 1));
            sections.Add((created, 1));
        }
        var nextSchedule = journal.Now + 5 + editor * 3;
        for (var n = 0; !stop.IsCancellationRequested; n++)
        {
            var slot = n % sections.Count;
            var (id, latest) = sections[slot];
            try
            {
                var result = await journal.TimeAsync("save", () => content.SaveDraftAsync(id, latest, ContentFixtures.Hero($"Drill save {n} of editor {editor}"), $"drill save {n}"));
                switch (result)
                {
                    case SaveResult.Saved saved:
                        journal.Acknowledged(new Ack.VersionSaved(id, saved.VersionNumber));
                        latest = saved.VersionNumber;
                        break;
                    case SaveResult.Conflict conflict:
                        latest = conflict.Theirs.VersionNumber; // an earlier save committed but its answer was lost
                        break;
                    case SaveResult.Invalid invalid:
                        journal.Record(new Attempt("save", journal.Now, journal.Now, false, null, "invalid: " + string.Join("; ", invalid.Errors)));
                        break;
                }
                sections[slot] = (id, latest);
                if (n % 3 == 2)
                {
                    await journal.TimeAsync("publish", async () => { await content.PublishAsync(id, latest); return 0; });
                    journal.Acknowledged(new Ack.Published(id, latest));
                }
                if (journal.Now >= nextSchedule)
                {
                    nextSchedule = journal.Now + 10;
                    var at = DateTimeOffset.UtcNow.AddSeconds(4 + Random.Shared.Next(6));
                    var schedule = await journal.TimeAsync("schedule", () => content.ScheduleAsync(id, latest, at, null));
                    journal.Acknowledged(new Ack.Scheduled(schedule, at));
                }
            }
            catch (Exception)
            {
                // Recorded by TimeAsync; after a lost answer the next save finds the real newest version.
                try
                {
                    if (await content.GetAsync(id) is { } fresh) sections[slot] = (id, fresh.Section.LatestVersionNumber);
                }
                catch (Exception) { }
                await Task.Delay(300, CancellationToken.None);
            }
            await Pace(TimeSpan.FromMilliseconds(700), stop);
        }
    }

    private async Task<T?> UntilDoneAsync<T>(string kind, Func<Task<T>> call, CancellationToken stop) where T : struct
    {
        while (!stop.IsCancellationRequested)
        {
            try { return await journal.TimeAsync(kind, call); }
            catch (Exception) { await Task.Delay(300, CancellationToken.None); }
        }
        return null;
    }

    // ------------------------------------------------------------------------------------------------ reads over HTTP

    /// <summary>The deployments CSV export every 5 s (what the UI's download and reporting jobs fetch).</summary>
    private async Task ExportsAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            await ReadAsync("export", () => new HttpRequestMessage(HttpMethod.Post, "/api/deployments/export")
            {
                Content = new StringContent("{\"format\":\"csv\",\"service\":\"drill-shop\"}", Encoding.UTF8, "application/json"),
            });
            await Pace(TimeSpan.FromSeconds(5), stop);
        }
    }

    /// <summary>The storefront reading the published homepage twice a second (the delivery API, anonymous).</summary>
    private async Task StorefrontAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            await ReadAsync("delivery", () =>
            {
                var request = new HttpRequestMessage(HttpMethod.Get, "/api/content/homepage/en-GB");
                request.Headers.Authorization = null;
                return request;
            });
            await Pace(TimeSpan.FromMilliseconds(500), stop);
        }
    }

    private async Task ReadAsync(string kind, Func<HttpRequestMessage> build)
    {
        var start = journal.Now;
        try
        {
            using var request = build();
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead);
            var ok = response.IsSuccessStatusCode || response.StatusCode == HttpStatusCode.NotModified;
            journal.Record(new Attempt(kind, start, journal.Now, ok, (int)response.StatusCode, ok ? null : Trim(await response.Content.ReadAsStringAsync())));
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
        {
            journal.Record(new Attempt(kind, start, journal.Now, false, null, Journal.Describe(e)));
        }
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private IDbContextFactory<AdminDbContext> Contexts(SessionContext user) => new ContextFactory(appData, user);

    private static async Task Pace(TimeSpan delay, CancellationToken stop)
    {
        try { await Task.Delay(delay, stop); }
        catch (OperationCanceledException) { }
    }

    /// <summary>A failure's body in one line: an HTML error page is named as such, a problem+json keeps its title and detail.</summary>
    private static string Trim(string body)
    {
        if (body.TrimStart().StartsWith('<')) return "(HTML error page)";
        var line = body.ReplaceLineEndings(" ");
        return line.Length > 300 ? line[..300] : line;
    }

    private sealed class ContextFactory(NpgsqlDataSource dataSource, SessionContext user) : IDbContextFactory<AdminDbContext>
    {
        public AdminDbContext CreateDbContext() => TestDatabase.CreateAppContext(dataSource, user);
    }
}

/// <summary>The demo users the drill acts as (their real ids, read from the database the app seeded).</summary>
public sealed record People(SessionContext Admin, SessionContext ReleaseManager, SessionContext Editor, SessionContext Dba);
