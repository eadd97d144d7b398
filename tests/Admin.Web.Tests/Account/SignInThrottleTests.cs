using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Admin.Data.Audit;
using Admin.TestSupport;
using Admin.Web.Features.Account;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace Admin.Web.Tests.Account;

/// <summary>
/// The sign-in form's throttle per client address and per account: 429 with Retry-After before any database work,
/// one audit summary row for the refused attempts, and a flood that leaves other audited writes as fast as before.
/// </summary>
[Collection(TimedCollection.Name)]
public sealed class SignInThrottleTests(WebAppFixture app) : IClassFixture<WebAppFixture>
{
    private static readonly SignInThrottleOptions Shipped = new();

    /// <summary>Another app instance on the fixture's database with the given limits (0 turns a limit off).</summary>
    private AdminAppFactory Limited(int perAddress, int perAccount, int addressWindow = 60, int accountWindow = 300) =>
        new(app.Database, demoSeed: false, new Dictionary<string, string?>
        {
            ["Account:SignIn:PerAddress:PermitLimit"] = perAddress.ToString(),
            ["Account:SignIn:PerAddress:WindowSeconds"] = addressWindow.ToString(),
            ["Account:SignIn:PerAccount:PermitLimit"] = perAccount.ToString(),
            ["Account:SignIn:PerAccount:WindowSeconds"] = accountWindow.ToString(),
        });

    private static string Unknown() => $"nobody-{Guid.NewGuid():N}@test.local";

    private async Task<long> AuditCountAsync(string sqlCondition, string value)
    {
        await using var connection = await app.Database.OpenAppAsAdminAsync();
        await using var command = new NpgsqlCommand($"SELECT count(*) FROM audit_events WHERE {sqlCondition}", connection);
        command.Parameters.AddWithValue("v", value);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private async Task<JsonElement> AuditDataAsync(long id)
    {
        await using var connection = await app.Database.OpenAppAsAdminAsync();
        await using var command = new NpgsqlCommand("SELECT action || ' ' || new_data::text FROM audit_events WHERE id = @id", connection);
        command.Parameters.AddWithValue("id", id);
        var row = (string)(await command.ExecuteScalarAsync())!;
        Assert.StartsWith(AuditActions.LoginThrottled + " ", row);
        return JsonDocument.Parse(row[(AuditActions.LoginThrottled.Length + 1)..]).RootElement;
    }

    private static SignInThrottleSummaryWriter SummaryWriter(AdminAppFactory factory) =>
        factory.Services.GetServices<IHostedService>().OfType<SignInThrottleSummaryWriter>().Single();

    private static async Task AssertRefusedAsync(HttpResponseMessage response, int window)
    {
        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.InRange(response.Headers.RetryAfter!.Delta!.Value.TotalSeconds, 1, window);
        Assert.Equal("text/html", response.Content.Headers.ContentType!.MediaType);
        Assert.Contains("Too many sign-in attempts", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Past_the_address_limit_the_form_answers_429_with_retry_after_and_writes_no_audit_row()
    {
        await using var limited = Limited(perAddress: 3, perAccount: 0);
        using var throttled = WebAppFixture.ClientFrom(limited, "198.51.100.7");
        using var other = WebAppFixture.ClientFrom(limited, "198.51.100.8");
        for (var i = 0; i < 3; i++)
            Assert.Equal(HttpStatusCode.OK, (await WebAppFixture.PostLoginAsync(throttled, Unknown(), "Wrong-Password-1")).StatusCode);

        var refusedEmail = Unknown();
        await AssertRefusedAsync(await WebAppFixture.PostLoginAsync(throttled, refusedEmail, "Wrong-Password-1"), 60);
        // The right password does not get past the throttle either: it refuses before looking at anything.
        var demo = DemoLogins.For(AppRoles.Dba);
        await AssertRefusedAsync(await WebAppFixture.PostLoginAsync(throttled, demo.Email, demo.Password), 60);

        Assert.Equal(0, await AuditCountAsync("new_data->>'email' = @v", refusedEmail));
        Assert.Equal(HttpStatusCode.OK, (await WebAppFixture.PostLoginAsync(other, Unknown(), "Wrong-Password-1")).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await WebAppFixture.PostLoginAsync(other, demo.Email, demo.Password)).StatusCode);

        var summary = await AuditDataAsync((await SummaryWriter(limited).WriteAsync(default))!.Value);
        Assert.Equal(2, summary.GetProperty("refused").GetInt32());
        var address = Assert.Single(summary.GetProperty("addresses").EnumerateArray());
        Assert.Equal("198.51.100.7", address.GetProperty("address").GetString());
        Assert.Equal(2, address.GetProperty("attempts").GetInt32());
        Assert.Null(await SummaryWriter(limited).WriteAsync(default)); // nothing refused since: no row
    }

    [Fact]
    public async Task Past_the_account_limit_that_email_is_refused_from_any_address_whether_or_not_the_account_exists()
    {
        await using var limited = Limited(perAddress: 0, perAccount: 2);
        var known = (await TestAccounts.CreateAsync(app.Factory.Services, AppRoles.Editor, "throttle")).Email;
        var bodies = new List<string>();
        var n = 0;
        foreach (var email in new[] { known, Unknown() })
        {
            for (var i = 0; i < 2; i++)
            {
                using var client = WebAppFixture.ClientFrom(limited, $"203.0.113.{++n}");
                Assert.Equal(HttpStatusCode.OK, (await WebAppFixture.PostLoginAsync(client, email, "Wrong-Password-1")).StatusCode);
            }
            // Another address, and the email spelled in capitals with spaces around: the same account to the throttle.
            using var elsewhere = WebAppFixture.ClientFrom(limited, $"203.0.113.{++n}");
            var refused = await WebAppFixture.PostLoginAsync(elsewhere, $"  {email.ToUpperInvariant()} ", "Wrong-Password-1");
            await AssertRefusedAsync(refused, 300);
            bodies.Add(System.Text.RegularExpressions.Regex.Replace(await refused.Content.ReadAsStringAsync(), "<code>[^<]*</code>", ""));
            Assert.Equal(HttpStatusCode.OK, (await WebAppFixture.PostLoginAsync(elsewhere, Unknown(), "Wrong-Password-1")).StatusCode);
        }
        // The refusal for a real account reads like the one for an email nobody has.
        Assert.Equal(bodies[0], bodies[1]);
        Assert.Equal(2, await AuditCountAsync("actor_email = @v", known));
    }

    [Fact]
    public async Task A_post_that_is_no_valid_sign_in_form_gets_400_not_an_error_and_still_counts_for_its_address()
    {
        await using var limited = Limited(perAddress: 3, perAccount: 1);
        using var client = WebAppFixture.ClientFrom(limited, "198.51.100.20");
        var token = WebAppFixture.AntiforgeryToken(await client.GetStringAsync("/Account/Login"));
        var email = Unknown();

        var json = await client.PostAsync("/Account/Login", new StringContent("{\"email\":\"x\"}", System.Text.Encoding.UTF8, "application/json"));
        // A form without its antiforgery token (an old tab after a restart) must not be read, even for its email.
        var tokenless = await client.PostAsync("/Account/Login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "login", ["Input.Email"] = email, ["Input.Password"] = "Wrong-Password-1",
        }));
        var garbled = new StringContent("--b\r\nContent-Disposition: form-data; name=\"__RequestVerificationToken\"\r\n\r\n" + token);
        garbled.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse("multipart/form-data; boundary=b");
        var truncated = await client.PostAsync("/Account/Login", garbled);

        Assert.Equal(HttpStatusCode.BadRequest, json.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, tokenless.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, truncated.StatusCode);
        await AssertRefusedAsync(await WebAppFixture.PostLoginAsync(client, email, "Wrong-Password-1"), 60);
    }

    /// <summary>
    /// Audited writes (an admin disabling and enabling a user) timed alone and while six clients flood the form with
    /// failed sign-ins at the shipped limits. Once the flood has spent its address's window, every attempt is refused
    /// before it hashes a password or takes a turn at the audit chain, so the writes keep their pace.
    /// </summary>
    [Fact]
    public async Task A_flood_of_failed_sign_ins_does_not_slow_other_audited_writes()
    {
        await using var limited = Limited(Shipped.PerAddress.PermitLimit, Shipped.PerAccount.PermitLimit,
            Shipped.PerAddress.WindowSeconds, Shipped.PerAccount.WindowSeconds);
        var target = await TestAccounts.CreateAsync(limited.Services, AppRoles.Editor, "flood-target");
        const string floodAddress = "192.0.2.66";

        var before = await AuditedWritesAsync(limited, target.Id, 25);

        using var stop = new CancellationTokenSource();
        int admitted = 0, refused = 0;
        var throttled = new bool[6]; // each flooder has been refused once: none has an admitted attempt still running
        var flooders = Enumerable.Range(0, throttled.Length).Select(i => Task.Run(async () =>
        {
            using var client = WebAppFixture.ClientFrom(limited, floodAddress);
            var token = WebAppFixture.AntiforgeryToken(await client.GetStringAsync("/Account/Login"));
            while (!stop.IsCancellationRequested)
            {
                using var response = await client.PostAsync("/Account/Login", new FormUrlEncodedContent(new Dictionary<string, string>
                {
                    ["_handler"] = "login", ["__RequestVerificationToken"] = token,
                    ["Input.Email"] = i % 2 == 0 ? Unknown() : target.Email, ["Input.Password"] = "Wrong-Password-1",
                }));
                if (response.StatusCode == HttpStatusCode.TooManyRequests)
                {
                    Interlocked.Increment(ref refused);
                    Volatile.Write(ref throttled[i], true);
                }
                else Interlocked.Increment(ref admitted);
                await Task.Delay(10);
            }
        })).ToList();

        var flood = Stopwatch.StartNew();
        while (!throttled.All(t => t))
        {
            Assert.True(flood.Elapsed < TimeSpan.FromSeconds(60), $"the flood was never throttled ({admitted} attempts admitted)");
            await Task.Delay(10);
        }
        var spent = flood.Elapsed;
        var during = await AuditedWritesAsync(limited, target.Id, 25);
        stop.Cancel();
        await Task.WhenAll(flooders);
        flood.Stop();

        var after = await AuditedWritesAsync(limited, target.Id, 25);
        Console.WriteLine($"Audited write (disable/enable a user), ms: alone median {Figures.Median(before):0.0} p90 {Figures.P90(before):0.0}; " +
                          $"during the flood median {Figures.Median(during):0.0} p90 {Figures.P90(during):0.0}; after median {Figures.Median(after):0.0} p90 {Figures.P90(after):0.0}");
        Console.WriteLine($"Flood: {admitted + refused} attempts in {flood.Elapsed.TotalSeconds:0.0} s ({(admitted + refused) / flood.Elapsed.TotalSeconds:0} per s), " +
                          $"{admitted} admitted (the window, spent in {spent.TotalMilliseconds:0} ms), {refused} refused with 429");

        // Generous: the flood's clients run in this process and the machine is shared. Without the throttle the writes
        // were about six times slower (every attempt hashed a password and took a turn at the audit chain).
        Assert.True(Figures.Median(during) <= 3 * Math.Max(Figures.Median(before), Figures.Median(after)) + 25,
            $"audited writes slowed from {Figures.Median(before):0.0} ms to {Figures.Median(during):0.0} ms during the flood");
        // Admitted attempts wrote their rows; refused ones none: the flood costs the audit chain one row each per window.
        Assert.Equal(admitted, await AuditCountAsync($"action IN ('{AuditActions.LoginFailed}', '{AuditActions.LockedOut}') AND client_address = @v::inet", floodAddress));
        Assert.InRange(admitted, 1, Shipped.PerAddress.PermitLimit);
        var summary = await AuditDataAsync((await SummaryWriter(limited).WriteAsync(default))!.Value);
        Assert.Equal(refused, summary.GetProperty("refused").GetInt32());
    }

    /// <summary>Times n audited writes in one admin scope, toggling the user between disabled and enabled.</summary>
    private static Task<List<double>> AuditedWritesAsync(AdminAppFactory factory, Guid user, int n) =>
        TestAccounts.AsAdminAsync(factory.Services, async (admin, actor) =>
        {
            var times = new List<double>();
            for (var i = 0; i < n; i++)
            {
                var clock = Stopwatch.StartNew();
                await admin.SetDisabledAsync(user, i % 2 == 0, actor);
                times.Add(clock.Elapsed.TotalMilliseconds);
            }
            return times;
        });
}
