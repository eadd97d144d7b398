using Admin.Data.Audit;
using Admin.TestSupport;
using Npgsql;

namespace Admin.Data.Tests.Audit;

/// <summary>The audit hash chain: kept by every way rows get in, intact under concurrency, and broken visibly by tampering.</summary>
public sealed class AuditChainTests : IAsyncLifetime
{
    private TestDatabase _db = null!;
    private NpgsqlDataSource _app = null!;

    // A database per test: tampering must not leak into the next test's verification.
    public async Task InitializeAsync()
    {
        _db = await TestDatabase.CreateAsync();
        _app = NpgsqlDataSource.Create(_db.AppConnectionString);
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _db.DisposeAsync();
    }

    private async Task WriteAsync(int count, string action = "chain.test")
    {
        await using var app = await _db.OpenAppAsAdminAsync();
        for (var i = 0; i < count; i++)
            await app.ScalarAsync<long>($"SELECT audit_write('{action}', 'things', '{i}', NULL, jsonb_build_object('n', {i}))");
    }

    private async Task AsSuperuserAsync(string sql)
    {
        await using var super = await TestPostgres.OpenSuperuserAsync(_db.Name);
        await super.ExecuteAsync(sql);
    }

    [Fact]
    public async Task Rows_from_audit_write_and_from_a_bulk_insert_form_one_intact_chain()
    {
        await WriteAsync(5);
        await using (var owner = await _db.OpenAsync(TestPostgres.OwnerRole))
            await owner.ExecuteAsync("INSERT INTO audit_events (action, new_data) SELECT 'chain.bulk', jsonb_build_object('g', g) FROM generate_series(1, 300) g");
        await WriteAsync(2);

        var report = await AuditChainVerifier.VerifyAsync(_app);

        Assert.True(report.Intact, string.Join("; ", report.Problems.Select(p => p.Problem)));
        Assert.True(report.Verified >= 307);
        Assert.Equal(report.Verified, report.HeadSeq); // 1..head without a gap
        Assert.Equal(0, report.Unchained);
    }

    [Fact]
    public async Task Concurrent_writers_on_many_connections_keep_one_gapless_chain()
    {
        var before = (await AuditChainVerifier.VerifyAsync(_app)).HeadSeq;

        await Task.WhenAll(Enumerable.Range(0, 8).Select(w => Task.Run(() => WriteAsync(25, $"chain.writer{w}"))));

        var report = await AuditChainVerifier.VerifyAsync(_app);
        Assert.True(report.Intact, string.Join("; ", report.Problems.Select(p => p.Problem)));
        Assert.Equal(before + 200, report.HeadSeq);
    }

    [Fact]
    public async Task An_edited_row_is_reported_with_its_place_in_the_chain()
    {
        await WriteAsync(10);
        await AsSuperuserAsync("UPDATE audit_events SET new_data = '{\"n\": 999}' WHERE action = 'chain.test' AND record_id = '4'");

        var report = await AuditChainVerifier.VerifyAsync(_app);

        Assert.False(report.Intact);
        var problem = Assert.Single(report.Problems);
        Assert.Contains("changed after it was written", problem.Problem);
        await using var app = await _db.OpenAppAsAdminAsync();
        Assert.Equal(problem.EventId, await app.ScalarAsync<long>("SELECT id FROM audit_events WHERE action = 'chain.test' AND record_id = '4'"));
    }

    [Fact]
    public async Task A_deleted_row_in_the_middle_and_deleted_newest_rows_are_both_reported()
    {
        await WriteAsync(10);
        await AsSuperuserAsync("DELETE FROM audit_events WHERE action = 'chain.test' AND record_id IN ('3', '9')");

        var report = await AuditChainVerifier.VerifyAsync(_app);

        Assert.Contains(report.Problems, p => p.Problem.Contains("are missing (deleted)"));
        Assert.Contains(report.Problems, p => p.Problem.Contains("newest rows") && p.Problem.Contains("missing"));
    }

    [Fact]
    public async Task A_row_forged_with_a_copied_hash_is_reported()
    {
        await WriteAsync(3);
        await AsSuperuserAsync("""
            ALTER TABLE audit_events DISABLE TRIGGER audit_events_chain_link;
            INSERT INTO audit_events (action, chain_seq, row_hash)
            SELECT 'chain.forged', chain_seq, row_hash FROM audit_events WHERE action = 'chain.test' AND record_id = '1';
            ALTER TABLE audit_events ENABLE TRIGGER audit_events_chain_link;
            """);

        var report = await AuditChainVerifier.VerifyAsync(_app);

        Assert.Contains(report.Problems, p => p.Problem.Contains("two rows claim this place"));
    }

    [Fact]
    public async Task Rows_moved_from_the_default_partition_into_their_new_partition_still_verify()
    {
        await using (var owner = await _db.OpenAsync(TestPostgres.OwnerRole))
            await owner.ExecuteAsync("INSERT INTO audit_events (occurred_at, action) VALUES ('2046-03-10T10:00:00Z', 'chain.future')");
        await using (var app = await _db.OpenAppAsAdminAsync())
            Assert.True(await app.ScalarAsync<int>("SELECT audit_ensure_partitions()") >= 1);
        await WriteAsync(2);

        var report = await AuditChainVerifier.VerifyAsync(_app);

        Assert.True(report.Intact, string.Join("; ", report.Problems.Select(p => p.Problem)));
    }

    [Fact]
    public async Task Archiving_the_oldest_month_detaches_it_keeps_the_anchor_and_the_rest_still_verifies()
    {
        await using (var owner = await _db.OpenAsync(TestPostgres.OwnerRole))
            await owner.ExecuteAsync("""
                INSERT INTO audit_events (occurred_at, action) VALUES ('2020-01-10T10:00:00Z', 'chain.old'), ('2020-01-20T10:00:00Z', 'chain.old');
                INSERT INTO audit_events (occurred_at, action) VALUES ('2020-02-10T10:00:00Z', 'chain.newer');
                SELECT audit_ensure_partitions();
                """);
        await WriteAsync(3);
        await using var ownerConnection = await _db.OpenAsync(TestPostgres.OwnerRole);

        var tooNew = await Assert.ThrowsAsync<PostgresException>(() => ownerConnection.ExecuteAsync(
            $"SELECT audit_archive_partition('audit_events_{DateTime.UtcNow:yyyy_MM}', 'test')"));
        var outOfOrder = await Assert.ThrowsAsync<PostgresException>(() => ownerConnection.ExecuteAsync(
            "SELECT audit_archive_partition('audit_events_2020_02', 'test')"));
        await ownerConnection.ExecuteAsync("SELECT audit_archive_partition('audit_events_2020_01', 'test')");

        Assert.Contains("too recent", tooNew.MessageText);
        Assert.Contains("archive older months first", outOfOrder.MessageText);
        Assert.False(await ownerConnection.ScalarAsync<bool>(
            "SELECT EXISTS (SELECT 1 FROM pg_inherits WHERE inhrelid = 'audit_events_2020_01'::regclass)"));
        Assert.Equal(2L, await ownerConnection.ScalarAsync<long>("SELECT row_count FROM audit_archives WHERE partition_name = 'audit_events_2020_01'"));
        var report = await AuditChainVerifier.VerifyAsync(_app);
        Assert.True(report.Intact, string.Join("; ", report.Problems.Select(p => p.Problem)));
        Assert.Equal(2, report.ArchivedThrough);
        await using var app = await _db.OpenAppAsAdminAsync();
        var refused = await Assert.ThrowsAsync<PostgresException>(() => app.ExecuteAsync("SELECT audit_archive_partition('audit_events_2020_02', 'app')"));
        Assert.Equal("42501", refused.SqlState);
        Assert.Equal(1L, await app.ScalarAsync<long>("SELECT count(*) FROM audit_events WHERE action = 'audit.partition_archived'"));
    }
}
