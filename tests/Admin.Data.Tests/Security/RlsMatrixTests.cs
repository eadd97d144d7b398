using Admin.Data.Reference;
using Admin.Data.Session;
using Admin.TestSupport;
using Npgsql;

namespace Admin.Data.Tests.Security;

/// <summary>
/// The row-level security matrix, run in SQL as the app role (admin_app) with each role's session context against
/// each table and operation, so the database is shown to enforce it without the app: every cell is "ok" (the row is
/// visible / the write took effect), "filtered" (no error, no row) or "denied" (SQLSTATE 42501). docs/security.md
/// shows the same table. Each cell runs in a transaction that is rolled back.
/// </summary>
public sealed class RlsMatrixTests(RlsMatrixTests.Fixture fixture) : IClassFixture<RlsMatrixTests.Fixture>
{
    private static readonly Guid Author = Guid.Parse("00000000-0000-0000-0000-00000000f001");

    /// <summary>The contexts: editors and release managers hold brand acme and locale en-GB only.</summary>
    public static readonly Dictionary<string, SessionContext> Roles = new()
    {
        ["Admin"] = new(Guid.Parse("00000000-0000-0000-0000-00000000f0a1"), "admin@m.test", ["Admin"], [], [], "m"),
        ["Editor"] = new(Guid.Parse("00000000-0000-0000-0000-00000000f0e1"), "editor@m.test", ["Editor"], ["acme"], ["en-GB"], "m"),
        ["ReleaseManager"] = new(Guid.Parse("00000000-0000-0000-0000-00000000f0b1"), "rm@m.test", ["ReleaseManager"], ["acme"], ["en-GB"], "m"),
        ["Dba"] = new(Guid.Parse("00000000-0000-0000-0000-00000000f0d1"), "dba@m.test", ["Dba"], [], [], "m"),
        ["System"] = SessionRoles.SystemJob("matrix", "m"),
        ["DeployApi"] = new(null, null, [SessionRoles.DeployApi], [], [], "m"),
        ["none"] = SessionContext.Anonymous,
    };

    private static readonly string[] Order = ["Admin", "Editor", "ReleaseManager", "Dba", "System", "DeployApi", "none"];

    /// <summary>Statement → expected outcome per role, in <see cref="Order"/>. o = ok, f = filtered, d = denied.</summary>
    private static readonly (string Name, string Sql, string Expected)[] Cells =
    [
        ("homepage_sections SELECT", "SELECT count(*) FROM homepage_sections WHERE id = '{SectionGB}'", "ooooo ff"),
        ("homepage_sections INSERT in scope (en-GB)", "INSERT INTO homepage_sections (locale, section_key, section_type, display_order) VALUES ('en-GB', 'matrix-new', 'hero', 90)", "oodd odd"),
        ("homepage_sections INSERT out of scope (fr-FR)", "INSERT INTO homepage_sections (locale, section_key, section_type, display_order) VALUES ('fr-FR', 'matrix-new', 'hero', 90)", "oddd odd"),
        ("homepage_sections UPDATE in scope", "UPDATE homepage_sections SET metadata = '{\"m\": 1}' WHERE id = '{SectionGB}'", "ooff off"),
        ("homepage_sections UPDATE out of scope", "UPDATE homepage_sections SET metadata = '{\"m\": 1}' WHERE id = '{SectionFR}'", "odff off"),
        ("section_versions INSERT in scope", "INSERT INTO section_versions (section_id, version_number, content) VALUES ('{SectionGB}', 90, '{}')", "oodd odd"),
        ("section_versions INSERT out of scope", "INSERT INTO section_versions (section_id, version_number, content) VALUES ('{SectionFR}', 90, '{}')", "oddd odd"),
        ("release_sections INSERT in scope (en-GB)", "INSERT INTO release_sections (release_id, section_id, locale, section_key, section_type) VALUES ({Draft}, '{SectionGB}', '', '', '')", "oood ddd"),
        ("release_sections INSERT out of scope (fr-FR)", "INSERT INTO release_sections (release_id, section_id, locale, section_key, section_type) VALUES ({Draft}, '{SectionFR}', '', '', '')", "oddd ddd"),
        ("products SELECT", "SELECT count(*) FROM products WHERE sku = 'MATRIX-1'", "ooooo ff"),
        ("products UPDATE (no grant)", "UPDATE products SET price = 1 WHERE sku = 'MATRIX-1'", "dddd ddd"),
        ("releases SELECT", "SELECT count(*) FROM releases WHERE id = {Draft}", "ooooo ff"),
        ("releases INSERT", "INSERT INTO releases (name) VALUES ('matrix new')", "oood ddd"),
        ("releases UPDATE a draft", "UPDATE releases SET description = 'matrix' WHERE id = {Draft}", "ooof fff"),
        ("releases UPDATE approve (in review)", "UPDATE releases SET status = 'APPROVED' WHERE id = {InReview}", "odof fff"),
        ("entity_versions SELECT", "SELECT count(*) FROM entity_versions WHERE id = {EntityAcme}", "ooooo ff"),
        ("entity_versions INSERT in scope (acme, en-GB)", "INSERT INTO entity_versions (entity_id, entity_type, release_id, brand, locale_id, slug, payload) VALUES (gen_random_uuid(), 'page', {Draft}, 'acme', 'en-GB', 'matrix-page', '{\"title\": \"t\", \"body\": \"b\"}')", "ooodd dd"),
        ("entity_versions INSERT out of scope (globex, fr-FR)", "INSERT INTO entity_versions (entity_id, entity_type, release_id, brand, locale_id, slug, payload) VALUES (gen_random_uuid(), 'page', {Draft}, 'globex', 'fr-FR', 'matrix-page', '{\"title\": \"t\", \"body\": \"b\"}')", "odddd dd"),
        ("entity_versions UPDATE out of scope", "UPDATE entity_versions SET payload = payload || '{\"m\": 1}' WHERE id = {EntityGlobex}", "offf fff"),
        ("entity_versions DELETE in scope", "DELETE FROM entity_versions WHERE id = {EntityAcme}", "ooof fff"),
        ("entity_versions DELETE out of scope", "DELETE FROM entity_versions WHERE id = {EntityGlobex}", "offf fff"),
        ("entity_version_bases SELECT", "SELECT count(*) FROM entity_version_bases WHERE version_id = {EntityAcme}", "ooooo ff"),
        ("entity_version_bases UPDATE (only the database)", "UPDATE entity_version_bases SET changed_paths = '{forged}' WHERE version_id = {EntityAcme}", "dddd ddd"),
        ("entity_version_bases INSERT (only the database)", "INSERT INTO entity_version_bases (version_id, release_id, live_epoch, changed_paths) VALUES ({EntityGlobex}, {Draft}, 0, '{}')", "dddd ddd"),
        ("deployments SELECT", "SELECT count(*) FROM deployments WHERE id = {Deployment}", "ofof oof"),
        ("deployments INSERT", "INSERT INTO deployments (external_id, service, environment, version, commit_sha, requested_by_email, status) VALUES ('matrix-new', 'svc', 'staging', '1', 'abcdef1', 'ci@m.test', 'queued')", "oddd dod"),
        ("deployments UPDATE", "UPDATE deployments SET updated_at = now() WHERE id = {Deployment}", "ofof fof"),
        ("deployment_status_history INSERT", "INSERT INTO deployment_status_history (deployment_id, status) VALUES ({Deployment}, 'queued')", "odod dod"),
        ("api_tokens SELECT", "SELECT count(*) FROM api_tokens WHERE name = 'matrix'", "offf fof"),
        ("api_tokens INSERT", "INSERT INTO api_tokens (name, token_hash, token_prefix, created_by, created_by_email, services, environments) VALUES ('matrix2', '\\x02'::bytea, 'adm_', gen_random_uuid(), 'a@m.test', '{web}', '{staging}')", "oddd ddd"),
        // Only an admin widens or narrows a token; the ingestion pool (DeployApi) may update api_tokens for last use only.
        ("api_tokens UPDATE scope", "UPDATE api_tokens SET services = '{*}' WHERE name = 'matrix'", "offf fdf"),
        ("audit_events SELECT a login", "SELECT count(*) FROM audit_events WHERE id = {AuditLogin}", "offf off"),
        ("audit_events SELECT a database action", "SELECT count(*) FROM audit_events WHERE id = {AuditDatabase}", "offo off"),
        ("audit_events INSERT (only audit_write)", "INSERT INTO audit_events (action) VALUES ('matrix')", "dddd ddd"),
        ("audit_events UPDATE", "UPDATE audit_events SET action = 'forged' WHERE id = {AuditLogin}", "dddd ddd"),
        ("audit_events DELETE", "DELETE FROM audit_events WHERE id = {AuditLogin}", "dddd ddd"),
        ("rls_denials SELECT", "SELECT count(*) FROM rls_denials WHERE id = {Denial}", "offo off"),
        // Alerts are the Database area's: Admins, DBAs and the system jobs that evaluate and deliver them. Webhook URLs are secrets.
        ("alert_rules SELECT", "SELECT count(*) FROM alert_rules WHERE name = 'Blocked queries'", "offoo ff"),
        ("alert_rules UPDATE", "UPDATE alert_rules SET threshold = 1 WHERE name = 'Blocked queries'", "offoo ff"),
        ("alert_webhooks INSERT", "INSERT INTO alert_webhooks (name, url, created_by) VALUES ('matrix', 'https://hooks.example/x', 'm')", "oddoo dd"),
        ("alert_reads INSERT (own, people only)", "INSERT INTO alert_reads VALUES (coalesce(app_user_id(), gen_random_uuid()), now())", "oddod dd"),
        ("rls_denials INSERT (only denial_write)", "INSERT INTO rls_denials (operation, sqlstate, message, hint) VALUES ('SELECT', '42501', 'm', 'm')", "dddd ddd"),
    ];

    public static IEnumerable<object[]> Matrix() =>
        from cell in Cells
        from i in Enumerable.Range(0, Order.Length)
        select new object[] { cell.Name, Order[i], Outcome(cell.Expected.Replace(" ", "")[i]) };

    private static string Outcome(char c) => c switch { 'o' => "ok", 'f' => "filtered", 'd' => "denied", _ => throw new ArgumentException(c.ToString()) };

    [Theory]
    [MemberData(nameof(Matrix))]
    public async Task The_database_enforces_the_cell(string statement, string role, string expected)
    {
        var sql = fixture.Bind(Cells.Single(c => c.Name == statement).Sql);
        await using var connection = await fixture.Database.OpenAsync(TestPostgres.AppRole);
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var context = SessionContextInterceptor.BuildCommand(connection, Roles[role]))
            await context.ExecuteNonQueryAsync();

        string actual;
        try
        {
            await using var command = new NpgsqlCommand(sql, connection, transaction);
            if (sql.StartsWith("SELECT", StringComparison.Ordinal))
                actual = (long)(await command.ExecuteScalarAsync())! == 1 ? "ok" : "filtered";
            else
                actual = await command.ExecuteNonQueryAsync() == 1 ? "ok" : "filtered";
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InsufficientPrivilege)
        {
            actual = "denied";
        }
        Assert.True(expected == actual, $"{role} × {statement}: expected {expected}, got {actual}");
    }

    [Fact]
    public void Every_role_is_in_the_matrix_and_every_cell_has_an_outcome() =>
        Assert.All(Cells, c => Assert.Equal(Order.Length, c.Expected.Replace(" ", "").Length));

    public sealed class Fixture : IAsyncLifetime
    {
        private readonly Dictionary<string, string> _ids = [];

        public TestDatabase Database { get; private set; } = null!;

        public string Bind(string sql) => _ids.Aggregate(sql, (s, p) => s.Replace("{" + p.Key + "}", p.Value));

        public async Task InitializeAsync()
        {
            Database = await TestDatabase.CreateAsync();
            await using var owner = await Database.OpenAsync(TestPostgres.OwnerRole);
            await ReferenceData.SeedAsync(owner);
            // Rows to aim at, written by the owner as a known author.
            await owner.ExecuteAsync($"""
                SELECT set_config('app.user_id', '{Author}', false), set_config('app.user_email', 'author@m.test', false),
                       set_config('app.roles', 'Editor', false);
                INSERT INTO products (sku, name, price) VALUES ('MATRIX-1', 'Matrix product', 1);
                INSERT INTO api_tokens (name, token_hash, token_prefix, created_by, created_by_email, services, environments) VALUES ('matrix', '\x01'::bytea, 'adm_', '{Author}', 'author@m.test', ARRAY['web'], ARRAY['staging']);
                """);
            _ids["SectionGB"] = (await owner.ScalarAsync<Guid>(
                "INSERT INTO homepage_sections (locale, section_key, section_type, display_order) VALUES ('en-GB', 'matrix', 'hero', 80) RETURNING id")).ToString();
            _ids["SectionFR"] = (await owner.ScalarAsync<Guid>(
                "INSERT INTO homepage_sections (locale, section_key, section_type, display_order) VALUES ('fr-FR', 'matrix', 'hero', 80) RETURNING id")).ToString();
            _ids["Draft"] = (await owner.ScalarAsync<long>("INSERT INTO releases (name) VALUES ('matrix draft') RETURNING id")).ToString();
            var inReview = await owner.ScalarAsync<long>("INSERT INTO releases (name) VALUES ('matrix review') RETURNING id");
            _ids["InReview"] = inReview.ToString();
            await owner.ExecuteAsync($"""
                INSERT INTO entity_versions (entity_id, entity_type, release_id, entity_key, locale_id, payload)
                VALUES (gen_random_uuid(), 'translation', {inReview}, 'matrix.key', 'en-GB', '{"{"}"value": "v"{"}"}');
                UPDATE releases SET status = 'IN_REVIEW' WHERE id = {inReview};
                """);
            _ids["EntityAcme"] = (await owner.ScalarAsync<long>($"""
                INSERT INTO entity_versions (entity_id, entity_type, release_id, brand, locale_id, slug, payload)
                VALUES (gen_random_uuid(), 'page', {_ids["Draft"]}, 'acme', 'en-GB', 'matrix-acme', '{"{"}"title": "t", "body": "b"{"}"}') RETURNING id
                """)).ToString();
            _ids["EntityGlobex"] = (await owner.ScalarAsync<long>($"""
                INSERT INTO entity_versions (entity_id, entity_type, release_id, brand, locale_id, slug, payload)
                VALUES (gen_random_uuid(), 'page', {_ids["Draft"]}, 'globex', 'fr-FR', 'matrix-globex', '{"{"}"title": "t", "body": "b"{"}"}') RETURNING id
                """)).ToString();
            _ids["Deployment"] = (await owner.ScalarAsync<long>("""
                INSERT INTO deployments (external_id, service, environment, version, commit_sha, requested_by_email, status)
                VALUES ('matrix', 'svc', 'staging', '1', 'abcdef1', 'ci@m.test', 'queued') RETURNING id
                """)).ToString();
            _ids["AuditLogin"] = (await owner.ScalarAsync<long>("SELECT audit_write('auth.login', 'users', 'matrix')")).ToString();
            _ids["AuditDatabase"] = (await owner.ScalarAsync<long>("SELECT audit_write('database.statistics_reset', NULL, 'matrix')")).ToString();
            _ids["Denial"] = (await owner.ScalarAsync<long>("SELECT denial_write('releases', 'UPDATE', '42501', 'matrix', NULL, 'matrix')")).ToString();
        }

        public async Task DisposeAsync() => await Database.DisposeAsync();
    }
}
