using System.Diagnostics;
using System.Net;
using System.Text.Json;

namespace Admin.Web.Tests.Http;

/// <summary>/readyz as a probe reads it: the status code and the JSON with one entry per dependency.</summary>
public static class Readyz
{
    public sealed record Answer(HttpStatusCode Status, JsonElement Json, string Text)
    {
        public JsonElement Check(string name) => Json.GetProperty("checks").GetProperty(name);
        public string StatusOf(string name) => Check(name).GetProperty("status").GetString()!;
    }

    public static async Task<Answer> GetAsync(HttpClient client)
    {
        using var response = await client.GetAsync("/readyz");
        var text = await response.Content.ReadAsStringAsync();
        using var json = JsonDocument.Parse(text);
        return new Answer(response.StatusCode, json.RootElement.Clone(), text);
    }

    /// <summary>Asks until <paramref name="until"/> holds (at most <paramref name="within"/>, 15 s by default), returns that answer.</summary>
    public static async Task<Answer> WaitForAsync(HttpClient client, Func<Answer, bool> until, TimeSpan? within = null)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var answer = await GetAsync(client);
            if (until(answer)) return answer;
            if (clock.Elapsed > (within ?? TimeSpan.FromSeconds(15)))
                throw new Xunit.Sdk.XunitException($"/readyz did not reach the expected state; last answer {(int)answer.Status}:\n{answer.Text}");
            await Task.Delay(100);
        }
    }

    /// <summary>An instance that just started is ready once its live listener has connected (a few milliseconds).</summary>
    public static Task<Answer> WaitReadyAsync(HttpClient client) => WaitForAsync(client, a => a.Status == HttpStatusCode.OK);
}
