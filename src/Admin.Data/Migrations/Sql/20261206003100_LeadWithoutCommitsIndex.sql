-- 20261206003100_LeadWithoutCommitsIndex (issue 18)
-- The dashboard's lead time takes deployments that list no commits from deployments itself (commit_at → finish);
-- with commits on every seeded deployment that branch seq-scanned all 50,000 rows to find none (22 ms of the 180-day
-- dashboard). A partial index holds exactly the rows that branch reads.
CREATE INDEX deployments_lead_without_commits_idx ON deployments (environment, created_at) INCLUDE (service, lead_time_s)
    WHERE NOT has_commits AND lead_time_s IS NOT NULL;
