using Admin.Data.Audit;
using Admin.Data.Session;
using Admin.TestSupport;
using Microsoft.EntityFrameworkCore;

namespace Admin.Data.Tests.Audit;

/// <summary>
/// The viewer's reads on real rows: keyset pages cover everything once, each filter finds exactly its rows, offset and
/// keyset agree, row-level security decides what a DBA sees, and denials filter the same way.
/// </summary>
public sealed class AuditSearchTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 20, 12, 0, 0, TimeSpan.Zero);
    private static readonly SessionContext Dba = new(Guid.NewGuid(), "dba@test.local", ["Dba"], [], [], "t");
    private TestDatabase _db = null!;

    public async Task InitializeAsync()
    {
        _db = await TestDatabase.CreateAsync();
        await using var owner = await _db.OpenAsync(TestPostgres.OwnerRole);
        // 120 events one minute apart: three actors (one in capitals), five actions, two records, JSON with a needle.
        await owner.ExecuteAsync($"""
            SELECT audit_ensure_partitions(1);
            INSERT INTO audit_events (occurred_at, actor_email, actor_roles, action, table_name, record_id, new_data, request_id)
            SELECT '{T0:O}'::timestamptz + make_interval(mins => g),
                   (ARRAY['ann@test.local', 'BOB@test.local', 'cy@test.local'])[1 + g % 3], ARRAY['Editor'],
                   (ARRAY['release.created', 'release.deployed', 'auth.login', 'database.query_cancelled', 'user.roles_changed'])[1 + g % 5],
                   'releases', (g % 2)::text,
                   CASE WHEN g = 77 THEN '{"{"}"title": "the needle_in a haystack"{"}"}'::jsonb ELSE jsonb_build_object('n', g) END,
                   'req-' || (g / 10)
            FROM generate_series(0, 119) g;
            SELECT set_config('app.roles', 'Editor', false), set_config('app.user_email', 'den@test.local', false);
            SELECT denial_write('entity_versions', 'INSERT', '42501', 'm', 'entity_versions_insert_scope', 'You edit brands [globex]; this row belongs to acme.');
            SELECT denial_write('releases', 'UPDATE', '42501', 'm', NULL, 'Editors move a release only between draft and review.');
            """);
    }

    public async Task DisposeAsync() => await _db.DisposeAsync();

    private AuditSearch Search(SessionContext? who = null) => new(new Contexts(_db, who ?? TestContexts.Admin));

    [Fact]
    public async Task Keyset_pages_cover_every_row_once_newest_first_and_agree_with_offset()
    {
        var search = Search();
        var seen = new List<AuditRow>();
        Keyset? after = null;
        do
        {
            var page = await search.AuditAsync(new AuditFilter(Table: "releases"), after, pageSize: 25);
            seen.AddRange(page.Rows);
            after = page.Next;
        } while (after is not null);

        Assert.Equal(120, seen.Count);
        Assert.Equal(120, seen.Select(r => r.Id).Distinct().Count());
        Assert.True(seen.Zip(seen.Skip(1)).All(p => p.First.OccurredAt > p.Second.OccurredAt));
        var third = await search.AuditByOffsetAsync(new AuditFilter(Table: "releases"), 50, 25);
        Assert.Equal(seen.Skip(50).Take(25).Select(r => r.Id), third.Select(r => r.Id));
    }

    [Fact]
    public async Task Each_filter_finds_exactly_its_rows()
    {
        var search = Search();
        async Task<int> Count(AuditFilter f) => (await search.AuditAsync(f, pageSize: 200)).Rows.Count;

        Assert.Equal(40, await Count(new AuditFilter(Actor: "bob@TEST.local")));
        Assert.Equal(24, await Count(new AuditFilter(Action: "release.created")));
        Assert.Equal(48, await Count(new AuditFilter(Action: "release.")));
        Assert.Equal(48, await Count(new AuditFilter(Action: "release*")));
        Assert.Equal(60, await Count(new AuditFilter(Table: "releases", RecordId: "1")));
        Assert.Equal(10, await Count(new AuditFilter(RequestId: "req-7")));
        Assert.Equal(1, await Count(new AuditFilter(Text: "needle_in")));
        Assert.Equal(0, await Count(new AuditFilter(Text: "needle%in")));
        Assert.Equal(30, await Count(new AuditFilter(From: T0.AddMinutes(10), To: T0.AddMinutes(40))));
        Assert.Equal(2, await Count(new AuditFilter(Actor: "ann@test.local", Action: "auth.login", From: T0, To: T0.AddMinutes(30))));
    }

    [Fact]
    public async Task A_dba_sees_only_database_actions_because_the_database_says_so()
    {
        var rows = (await Search(Dba).AuditAsync(new AuditFilter(), pageSize: 200)).Rows;

        Assert.Equal(24, rows.Count);
        Assert.All(rows, r => Assert.StartsWith("database.", r.Action));
        Assert.Equal(2, (await Search(Dba).DenialsAsync(new AuditFilter())).Rows.Count);
        Assert.Empty((await Search(ContentFixtures.Editor).AuditAsync(new AuditFilter())).Rows);
    }

    [Fact]
    public async Task Denials_filter_by_user_operation_table_and_text_in_the_hint()
    {
        var search = Search();

        Assert.Equal(2, (await search.DenialsAsync(new AuditFilter(Actor: "DEN@test.local"))).Rows.Count);
        var insert = Assert.Single((await search.DenialsAsync(new AuditFilter(Action: "insert"))).Rows);
        Assert.Equal("entity_versions_insert_scope", insert.Policy);
        Assert.Equal(["Editor"], insert.Roles);
        Assert.Single((await search.DenialsAsync(new AuditFilter(Table: "releases"))).Rows);
        Assert.Single((await search.DenialsAsync(new AuditFilter(Text: "belongs to acme"))).Rows);
    }

    [Fact]
    public async Task A_stream_reads_every_matching_row()
    {
        var count = 0;
        await foreach (var _ in Search().StreamAuditAsync(new AuditFilter(Action: "auth.login"))) count++;
        Assert.Equal(24, count);
    }

    [Fact]
    public void A_keyset_survives_the_address()
    {
        var key = new Keyset(T0.AddTicks(7), 42);
        Assert.Equal(key, Keyset.Parse(key.ToString()));
        Assert.Null(Keyset.Parse("x_1"));
        Assert.Null(Keyset.Parse("99999999999999999999_1"));
    }

    private sealed class Contexts(TestDatabase db, SessionContext who) : IDbContextFactory<AdminDbContext>
    {
        public AdminDbContext CreateDbContext() => db.CreateAppContext(who);
    }
}
