using Npgsql;

namespace Admin.Data.Deployments;

/// <summary>
/// How many demo deployments, over how many days, and how many of the newest stay open (a few await approval). Every
/// deployment that started lists 1 to 7 commits (about 4 on average: 200,000 for the large shape), and one in ten (the
/// production ones whose number ends in 9: 5,000 for the large shape) caused an incident.
/// </summary>
public sealed record DeploymentSeedShape(int Deployments, int Days, int Open)
{
    public static readonly DeploymentSeedShape Small = new(400, 30, 6);
    public static readonly DeploymentSeedShape Large = new(50_000, 180, 12);
}

public sealed record DeploymentSeedResult(int Deployments, int History, int Commits = 0, int Incidents = 0);

/// <summary>
/// Demo deployments and their status histories, generated in SQL (generate_series, one INSERT … SELECT per table) as the
/// schema owner in one transaction. Histories follow the state machine: queued, awaiting approval and approved in
/// production, in progress with progress notes, then the outcome (and a rollback for some). The large shape gives
/// 50,000 deployments and about 400,000 history rows. Idempotent: deployments are keyed by external id seed-NNNNNN.
/// </summary>
public static class DeploymentSeeder
{
    private static readonly string[] Services =
        ["shop-api", "shop-web", "checkout", "payments", "search", "catalog", "inventory", "notifications", "accounts", "cms", "pricing", "recommendations"];

    private static readonly string[] Requesters = ["ci-bot@example.com", "admin@admin.local", "dev.lead@example.com"];

    /// <summary>
    /// Requester of the deployments left awaiting approval: a demo user (linked when the user exists), because only a
    /// deployment whose requester is a console user can be approved (four eyes need two known people).
    /// </summary>
    private const string WaitingRequester = "admin@admin.local";

    public static async Task<DeploymentSeedResult> SeedAsync(NpgsqlConnection owner, DeploymentSeedShape shape, CancellationToken ct = default)
    {
        await using var transaction = await owner.BeginTransactionAsync(ct);
        await using (var plan = new NpgsqlCommand("""
            SELECT pg_advisory_xact_lock(hashtext('deployment-seed'));
            SELECT setseed(0.42);
            CREATE TEMP TABLE seed_deployments ON COMMIT DROP AS
            SELECT g, x.created_at, x.environment, x.status,
                   x.created_at - make_interval(mins => 10 + (g * 37) % 4000) AS commit_at,
                   -- production waits for approval first
                   CASE WHEN x.status IN ('queued', 'awaiting_approval') THEN NULL
                        ELSE x.created_at + make_interval(mins => CASE WHEN x.environment = 'production' THEN 5 + (g * 13) % 55 ELSE 1 END) END AS started_at,
                   2 + g % 6 AS notes, r
            FROM generate_series(1, @n) AS g
            CROSS JOIN LATERAL (SELECT random() + 0 * g AS r) rnd -- refers to g, so it is drawn per row, not once
            CROSS JOIN LATERAL (
                SELECT now() - ((@n - g)::float8 / @n) * make_interval(days => @days) - make_interval(secs => (g * 7919) % 1800) AS created_at,
                       CASE WHEN g % 10 < 4 THEN 'development' WHEN g % 10 < 7 THEN 'staging' ELSE 'production' END AS environment,
                       CASE WHEN g > @n - @open THEN
                                CASE WHEN g % 10 >= 7 AND g % 2 = 0 THEN 'awaiting_approval' WHEN g % 10 < 7 AND g % 3 = 0 THEN 'queued' ELSE 'in_progress' END
                            WHEN rnd.r < 0.80 THEN 'succeeded' WHEN rnd.r < 0.90 THEN 'failed' WHEN rnd.r < 0.94 THEN 'rolled_back' ELSE 'cancelled' END AS status
            ) x;
            ALTER TABLE seed_deployments ADD COLUMN finished_at timestamptz, ADD COLUMN rolled_back_at timestamptz;
            UPDATE seed_deployments SET
                finished_at = CASE WHEN status IN ('succeeded', 'failed', 'cancelled', 'rolled_back')
                                   THEN started_at + make_interval(secs => 90 + (g * 53) % 1500 + (r * 300)::int) END,
                rolled_back_at = CASE WHEN status = 'rolled_back'
                                   THEN started_at + make_interval(secs => 90 + (g * 53) % 1500 + (r * 300)::int) + make_interval(mins => 20 + g % 200) END;
            CREATE TEMP TABLE seed_new (id bigint, g int) ON COMMIT DROP;
            """, owner, transaction))
        {
            plan.Parameters.AddWithValue("n", shape.Deployments);
            plan.Parameters.AddWithValue("days", shape.Days);
            plan.Parameters.AddWithValue("open", shape.Open);
            plan.CommandTimeout = 600;
            await plan.ExecuteNonQueryAsync(ct);
        }

        int deployments, history;
        await using (var insert = new NpgsqlCommand("""
            WITH inserted AS (
                INSERT INTO deployments (external_id, service, environment, version, commit_sha, commit_at, release_id,
                                         requested_by, requested_by_email, status, created_at, started_at, finished_at, rolled_back_at, updated_at)
                SELECT 'seed-' || lpad(g::text, 6, '0'), @services[1 + g % cardinality(@services)], environment,
                       '1.' || (g / 500) || '.' || (g % 500), substr(md5(g::text), 1, 12), commit_at,
                       NULL, (SELECT u.id FROM users u WHERE u.normalized_email = upper(r.email) LIMIT 1), r.email,
                       status, created_at, started_at, finished_at, rolled_back_at,
                       coalesce(rolled_back_at, finished_at, started_at, created_at)
                FROM seed_deployments
                -- The waiting ones are requested by a console user (the demo admin), so a release manager can approve them.
                CROSS JOIN LATERAL (SELECT CASE WHEN status = 'awaiting_approval' THEN @waitingRequester
                                                ELSE @requesters[1 + g % cardinality(@requesters)] END AS email) r
                ORDER BY g
                ON CONFLICT (external_id) DO NOTHING
                RETURNING id, external_id)
            INSERT INTO seed_new SELECT id, substr(external_id, 6)::int FROM inserted
            """, owner, transaction))
        {
            insert.Parameters.AddWithValue("services", Services);
            insert.Parameters.AddWithValue("requesters", Requesters);
            insert.Parameters.AddWithValue("waitingRequester", WaitingRequester);
            insert.CommandTimeout = 600;
            deployments = await insert.ExecuteNonQueryAsync(ct);
        }

        await using (var steps = new NpgsqlCommand("""
            INSERT INTO deployment_status_history (deployment_id, status, message, actor, occurred_at)
            SELECT n.id, step.status, step.message, step.actor, step.at
            FROM seed_new n
            JOIN seed_deployments s USING (g)
            CROSS JOIN LATERAL (
                SELECT 1 AS o, 'queued' AS status, 'deploy requested by CI' AS message, 'api:ci' AS actor, s.created_at AS at
                UNION ALL SELECT 2, 'awaiting_approval', 'production requires approval', 'console', s.created_at
                    WHERE s.environment = 'production'
                UNION ALL SELECT 3, 'approved', 'checks green', 'release@admin.local', s.started_at - interval '30 seconds'
                    WHERE s.environment = 'production' AND s.started_at IS NOT NULL
                UNION ALL SELECT 4, 'in_progress', 'rollout started', 'api:ci', s.started_at WHERE s.started_at IS NOT NULL
                UNION ALL SELECT 4 + i, 'in_progress', format('step %s of %s', i, s.notes), 'api:ci',
                                 s.started_at + (coalesce(s.finished_at, now()) - s.started_at) * i / (s.notes + 1)
                    FROM generate_series(1, s.notes) AS i WHERE s.started_at IS NOT NULL
                UNION ALL SELECT 20, s.status, CASE s.status WHEN 'failed' THEN 'health check failed' WHEN 'cancelled' THEN 'cancelled by CI' ELSE 'rollout complete' END,
                                 'api:ci', s.finished_at
                    WHERE s.status IN ('succeeded', 'failed', 'cancelled')
                UNION ALL SELECT 20, 'succeeded', 'rollout complete', 'api:ci', s.finished_at WHERE s.status = 'rolled_back'
                UNION ALL SELECT 21, 'rolled_back', 'error rate up after release', 'api:ci', s.rolled_back_at WHERE s.status = 'rolled_back'
            ) step
            ORDER BY n.id, step.o
            """, owner, transaction))
        {
            steps.CommandTimeout = 600;
            history = await steps.ExecuteNonQueryAsync(ct);
        }

        // Commits (issue 18): a deployment's shas repeat in the same service's deployment 12 later half of the time, so
        // some commits are first shipped by an earlier deployment and listed again by a later one.
        int commits, incidents;
        await using (var listed = new NpgsqlCommand("""
            INSERT INTO deployment_commits (deployment_id, sha, committed_at, authored_at)
            SELECT n.id, substr(md5((s.g % 12) || ':' || (s.g / 24) || ':' || j), 1, 32),
                   s.commit_at - make_interval(mins => 17 * (j - 1)), s.commit_at - make_interval(mins => 17 * (j - 1) + 30)
            FROM seed_new n JOIN seed_deployments s USING (g)
            CROSS JOIN generate_series(1, 1 + s.g % 7) AS j
            WHERE s.started_at IS NOT NULL
            ON CONFLICT DO NOTHING
            """, owner, transaction))
        {
            listed.CommandTimeout = 600;
            commits = await listed.ExecuteNonQueryAsync(ct);
        }
        // Incidents: one per production deployment numbered …9 that started, 15 minutes to 10 hours after its finish,
        // resolved 15 to 615 minutes later (one in a hundred still open).
        await using (var opened = new NpgsqlCommand("""
            WITH inserted AS (
                INSERT INTO deploy_incidents (external_id, title, severity, service, environment, started_at, resolved_at, created_by_email)
                SELECT 'seed-inc-' || lpad(s.g::text, 6, '0'), 'Error rate up on ' || d.service, 'sev' || (1 + s.g / 10 % 4), d.service, 'production',
                       coalesce(s.finished_at, s.started_at) + make_interval(mins => 15 + s.g % 600),
                       CASE WHEN s.g % 1000 <> 9 THEN coalesce(s.finished_at, s.started_at) + make_interval(mins => 30 + s.g % 600 + s.g % 613) END,
                       'oncall@example.com'
                FROM seed_new n JOIN seed_deployments s USING (g) JOIN deployments d ON d.id = n.id
                WHERE s.g % 10 = 9 AND s.started_at IS NOT NULL
                  AND coalesce(s.finished_at, s.started_at) + make_interval(mins => 15 + s.g % 600) < now()
                ORDER BY s.g
                ON CONFLICT (external_id) DO NOTHING
                RETURNING id, external_id)
            INSERT INTO deploy_incident_causes (incident_id, deployment_id)
            SELECT i.id, n.id FROM inserted i JOIN seed_new n ON n.g = substr(i.external_id, 10)::int
            """, owner, transaction))
        {
            opened.CommandTimeout = 600;
            incidents = await opened.ExecuteNonQueryAsync(ct);
        }
        await transaction.CommitAsync(ct);

        if (deployments > 1000)
        {
            await using var vacuum = new NpgsqlCommand(
                "VACUUM (ANALYZE) deployments, deployment_status_history, deployment_commits, deploy_commit_leads, deploy_incidents, deploy_incident_causes",
                owner) { CommandTimeout = 600 };
            await vacuum.ExecuteNonQueryAsync(ct);
        }
        return new DeploymentSeedResult(deployments, history, commits, incidents);
    }
}
