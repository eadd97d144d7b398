using Admin.Data.Database;
using Admin.Web.Components.Shared;
using Admin.Web.Features.Account;
using Admin.Web.Features.Database;

namespace Admin.Web.Tests.Database;

/// <summary>The Database pages' state classes without a database: address parameters, order, words and figures.</summary>
public sealed class DatabaseStateTests
{
    private static IndexInfo Index(string table, string name, long size, long scans = 0, bool unused = false, bool valid = true) =>
        new(Schema: "public", Table: table, Name: name, Scans: scans, TuplesRead: 0, TuplesFetched: 0, SizeBytes: size, HitRate: null,
            Definition: $"CREATE INDEX {name} ON public.{table} USING btree (a)", IsUnique: false, IsPrimary: false, IsValid: valid,
            Unused: unused, DuplicateOf: null);

    private static IndexesState Indexes(params IndexInfo[] indexes)
    {
        var state = new IndexesState(new IndexStats(), new BrowserClock(null!), TimeProvider.System);
        typeof(IndexesState).GetProperty(nameof(IndexesState.Report))!.SetValue(state, new IndexReport(indexes, [], null));
        return state;
    }

    [Fact]
    public void The_index_filter_search_and_sort_come_from_the_address_and_unknown_values_fall_back()
    {
        var state = Indexes(Index("t", "t_small", 10, unused: true), Index("t", "t_big", 1000, unused: true), Index("u", "u_used", 500, scans: 4));

        state.Apply("unused", " t_ ", "size", "desc");
        Assert.Equal(["t_big", "t_small"], state.Rows.Select(i => i.Name));
        Assert.Equal(2, state.Count("unused"));
        Assert.Equal(3, state.Count("all"));

        state.Apply("nonsense", null, "nonsense", "up");
        Assert.Equal(("all", "table", false), (state.Filter, state.Sort, state.Descending));
        Assert.Equal(["t_big", "t_small", "u_used"], state.Rows.Select(i => i.Name));

        state.Apply(null, "nothing", null, null);
        Assert.Empty(state.Rows);
        Assert.Equal("No index matches “nothing”.", state.EmptyText);
    }

    [Fact]
    public void A_sort_header_turns_the_current_order_round_and_numbers_start_largest_first()
    {
        var state = Indexes();
        state.Apply(null, null, "size", "desc");

        Assert.Equal(new Dictionary<string, object?> { ["sort"] = "size", ["dir"] = null }, state.SortParameters("size"));
        Assert.Equal(new Dictionary<string, object?> { ["sort"] = "scans", ["dir"] = "desc" }, state.SortParameters("scans"));
        Assert.Equal(new Dictionary<string, object?> { ["sort"] = null, ["dir"] = null }, state.SortParameters("table"));
        Assert.Equal("USING btree (a) WHERE b", IndexesState.ShortDefinition("CREATE INDEX x ON t USING btree (a) WHERE b"));
    }

    [Theory]
    [InlineData("mean", 100, "q", StatementSort.MeanTime, 100)]
    [InlineData("io", 7, null, StatementSort.Io, 50)]
    [InlineData(null, null, "  ", StatementSort.TotalTime, 50)]
    public void The_slow_query_list_takes_its_order_and_size_from_the_address(string? sort, int? top, string? search, StatementSort expected, int expectedTop)
    {
        var state = new SlowQueriesState(null!, TimeProvider.System);
        state.Apply(sort, top, search);
        Assert.Equal((expected, expectedTop), (state.Sort, state.Top));
        Assert.Equal(string.IsNullOrWhiteSpace(search) ? null : search, state.Search);
        Assert.Equal(sort ?? "total", SlowQueriesState.SortKey(state.Sort));
    }

    [Fact]
    public void Durations_statements_and_sizes_are_written_for_people()
    {
        Assert.Equal("0.50 ms", SlowQueriesState.FormatMs(0.5).Replace(',', '.'));
        Assert.Equal("1.5 min", SlowQueriesState.FormatMs(90_000).Replace(',', '.'));
        Assert.Equal("SELECT 1 FROM t", SlowQueriesState.Shorten("SELECT  1\n  FROM t"));
        Assert.Equal(221, SlowQueriesState.Shorten(new string('x', 500)).Length);
        Assert.Equal("db-dead-bad", SlowQueriesState.MeanClass(1200));
        Assert.Equal("+8 kB", TablesState.Signed(8192));
        Assert.Equal("−1.0 MB", TablesState.Signed(-(1L << 20)).Replace(',', '.'));
        Assert.Equal("±0", TablesState.Signed(0));
        Assert.Equal("2 min 05 s", ActivityState.FormatDuration(TimeSpan.FromSeconds(125)));
        Assert.Equal("—", ActivityState.FormatDuration(null));
        var now = DateTimeOffset.UtcNow;
        Assert.Equal((now, true), TablesState.Latest(now.AddHours(-1), now));
        Assert.Equal(((DateTimeOffset?)null, false), TablesState.Latest(null, null));
    }

    [Fact]
    public void The_signal_confirmation_names_the_session_and_its_statement()
    {
        var session = new BackendSession(Pid: 4242, User: "shop", Application: "checkout", Client: "10.0.0.1", Database: "shop",
            State: "active", WaitEventType: null, WaitEvent: null, QueryStart: null, TransactionStart: null, Duration: TimeSpan.FromSeconds(3),
            Query: "SELECT pg_sleep(60)", BackendType: "client backend", BlockedBy: [], WaitingLockMode: null, WaitingLockOn: null);

        Assert.Equal("Terminate session 4242?", ActivityState.ConfirmTitle(session, terminate: true));
        Assert.Equal("Cancel the query", ActivityState.ConfirmYes(terminate: false));
        var message = ActivityState.ConfirmMessage(session, terminate: true);
        Assert.Contains("Session 4242", message);
        Assert.Contains("shop", message);
        Assert.Contains("SELECT pg_sleep(60)", message);
        Assert.Contains("broken connection", message);
    }

    [Fact]
    public void The_data_side_role_is_the_apps_dba_role() => Assert.Equal(AppRoles.Dba, DatabaseRoles.Dba);
}
