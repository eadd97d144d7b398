using Admin.Data.Deployments;
using Admin.TestSupport;
using static Admin.Data.Deployments.DeploymentStatuses;

namespace Admin.Data.Tests.Deployments;

/// <summary>The transition table, in C# and in SQL (deploy_transition_error): both must give the same answer for every pair.</summary>
public sealed class DeploymentStateMachineTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>
{
    // Every allowed (from, to, protected environment?, via) combination; everything else is refused.
    private static readonly HashSet<(string From, string To, bool Protected, TransitionSource Via)> Allowed = Expand(
    [
        (Queued, InProgress, false, null),
        (Queued, Cancelled, null, null),
        (AwaitingApproval, Approved, null, TransitionSource.Console),
        (AwaitingApproval, Cancelled, null, null),
        (Approved, InProgress, null, null),
        (Approved, Cancelled, null, null),
        (InProgress, InProgress, null, null),
        (InProgress, Succeeded, null, null),
        (InProgress, Failed, null, null),
        (InProgress, Cancelled, null, null),
        (Succeeded, RolledBack, null, null),
    ]);

    private static HashSet<(string, string, bool, TransitionSource)> Expand(IEnumerable<(string From, string To, bool? Protected, TransitionSource? Via)> rows) =>
        rows.SelectMany(r => (r.Protected is { } p ? [p] : new[] { false, true })
                .SelectMany(p => (r.Via is { } v ? [v] : new[] { TransitionSource.Api, TransitionSource.Console })
                    .Select(v => (r.From, r.To, p, v))))
            .ToHashSet();

    public static IEnumerable<object[]> Cases =>
        from f in All from t in All from p in new[] { false, true } from v in new[] { TransitionSource.Api, TransitionSource.Console }
        select new object[] { f, t, p, v };

    [Theory]
    [MemberData(nameof(Cases))]
    public void CSharp_table(string from, string to, bool requiresApproval, TransitionSource via)
    {
        var refusal = DeploymentStateMachine.Refusal(from, to, requiresApproval, via);
        Assert.Equal(Allowed.Contains((from, to, requiresApproval, via)), refusal is null);
        if (refusal is not null) Assert.False(string.IsNullOrWhiteSpace(refusal));
    }

    [Fact]
    public async Task Sql_agrees_with_CSharp_on_every_pair_including_the_reason()
    {
        await using var connection = await fixture.Database.OpenAppAsAdminAsync();
        var mismatches = new List<string>();
        foreach (var c in Cases)
        {
            var (from, to, p, via) = ((string)c[0], (string)c[1], (bool)c[2], (TransitionSource)c[3]);
            await using var command = new Npgsql.NpgsqlCommand("SELECT deploy_transition_error($1, $2, $3, $4)", connection);
            command.Parameters.AddWithValue(from);
            command.Parameters.AddWithValue(to);
            command.Parameters.AddWithValue(p);
            command.Parameters.AddWithValue(via == TransitionSource.Api ? "api" : "console");
            var sql = await command.ExecuteScalarAsync() as string;
            var cs = DeploymentStateMachine.Refusal(from, to, p, via);
            if (sql != cs) mismatches.Add($"{from}->{to} protected={p} via={via}: sql '{sql}' vs c# '{cs}'");
        }
        Assert.Empty(mismatches);
    }

    [Fact]
    public void An_unknown_status_is_refused_and_names_itself()
    {
        Assert.Equal("unknown status deployed", DeploymentStateMachine.Refusal(InProgress, "deployed", false, TransitionSource.Api));
    }

    [Theory]
    [InlineData("InProgress", InProgress)]
    [InlineData("in_progress", InProgress)]
    [InlineData("in-progress", InProgress)]
    [InlineData("ROLLED BACK", RolledBack)]
    [InlineData("done", null)]
    [InlineData("", null)]
    public void Status_names_parse_in_any_spelling(string text, string? expected) => Assert.Equal(expected, Parse(text));
}
