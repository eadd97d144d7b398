-- 20261206000400_DeployRegressions
-- Deploy-aware regressions (issue 16). The Database area (Admin, Dba) shows deployments and release deploys as chart
-- markers and compares each one's statement figures before and after it. DBAs do not read deployments (row-level
-- security), so the sampler's leader copies, as the System job, the few facts a marker needs of each finished
-- deployment (id, service, environment, version, status, when) and of each release deploy or rollback (id, name,
-- when) into monitoring_deploy_events; nothing else of a deployment (requester, commit, token) is copied.

CREATE TABLE monitoring_deploy_events (
    kind         text        NOT NULL CHECK (kind IN ('deployment', 'release_deploy', 'release_rollback')),
    source_id    bigint      NOT NULL,
    at           timestamptz NOT NULL,
    environment  text,
    service      text,
    version      text,
    name         text,
    status       text        NOT NULL,
    PRIMARY KEY (kind, source_id)
);
CREATE INDEX monitoring_deploy_events_at ON monitoring_deploy_events (at);

-- One evaluation per target and event, written once the event's "after" window has ended: the counts for the list
-- and the statements (query ids and both windows' figures; texts are read from monitoring_statements when shown).
CREATE TABLE monitoring_deploy_regressions (
    target        text        NOT NULL,
    kind          text        NOT NULL,
    source_id     bigint      NOT NULL,
    at            timestamptz NOT NULL,
    before_from   timestamptz NOT NULL,
    after_to      timestamptz NOT NULL,
    clipped_by    text,
    regressions   int         NOT NULL,
    new_heavy     int         NOT NULL,
    compared      int         NOT NULL,
    statements    jsonb       NOT NULL,
    evaluated_at  timestamptz NOT NULL,
    PRIMARY KEY (target, kind, source_id)
);
-- The list: a target's evaluations by time.
CREATE INDEX monitoring_deploy_regressions_target_at ON monitoring_deploy_regressions (target, at) INCLUDE (regressions, new_heavy);

GRANT SELECT, INSERT, UPDATE, DELETE ON monitoring_deploy_events, monitoring_deploy_regressions TO admin_app;
GRANT SELECT ON monitoring_deploy_events, monitoring_deploy_regressions TO admin_explain;
