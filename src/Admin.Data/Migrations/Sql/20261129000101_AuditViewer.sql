-- 20261129000101_AuditViewer
-- Indexes for the audit viewer's filters, each ending in the viewer's order (occurred_at DESC, id DESC) so a filtered
-- page is an index range read that stops after one page, whatever the table's size.
--
-- Under row-level security PostgreSQL evaluates the policy before any condition that is not leakproof, and such a
-- condition cannot drive an index. lower() is not leakproof, so "lower(actor_email) = x" would filter row by row; the
-- lower-cased email is kept in a generated column instead, compared with = (leakproof), and indexed.
ALTER TABLE audit_events ADD COLUMN actor_key text GENERATED ALWAYS AS (lower(actor_email)) STORED;
CREATE INDEX audit_events_actor_key_idx ON audit_events (actor_key, occurred_at DESC, id DESC);
CREATE INDEX audit_events_record_idx ON audit_events (table_name, record_id, occurred_at DESC, id DESC);
DROP INDEX audit_events_action_idx;
CREATE INDEX audit_events_action_idx ON audit_events (action, occurred_at DESC, id DESC);
DROP INDEX audit_events_request_idx;
CREATE INDEX audit_events_request_idx ON audit_events (request_id, occurred_at DESC, id DESC) WHERE request_id IS NOT NULL;

ALTER TABLE rls_denials ADD COLUMN user_key text GENERATED ALWAYS AS (lower(user_email)) STORED;
CREATE INDEX rls_denials_user_key_idx ON rls_denials (user_key, occurred_at DESC, id DESC);
DROP INDEX rls_denials_user_idx;

-- New monthly partitions carry the generated column as generated (ATTACH PARTITION requires it), and rows the default
-- partition caught move with their stored columns only (a generated column is computed again). Otherwise as in
-- migration Foundation.
CREATE OR REPLACE FUNCTION audit_ensure_partitions(months_ahead int DEFAULT 3) RETURNS int
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    month_start date;
    partition   text;
    created     int := 0;
    columns     text;
BEGIN
    -- Two app instances may run this at the same moment.
    PERFORM pg_advisory_xact_lock(hashtext('audit_ensure_partitions'));
    SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) INTO columns
      FROM pg_attribute WHERE attrelid = 'audit_events'::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = '';
    -- Months are UTC months whatever the caller's TimeZone, so two sessions never compute overlapping bounds.
    FOR month_start IN
        SELECT DISTINCT date_trunc('month', occurred_at AT TIME ZONE 'UTC')::date FROM audit_events_default
        UNION
        SELECT (date_trunc('month', now() AT TIME ZONE 'UTC') + make_interval(months => m))::date FROM generate_series(-1, months_ahead) AS m
        ORDER BY 1
    LOOP
        partition := format('audit_events_%s', to_char(month_start, 'YYYY_MM'));
        CONTINUE WHEN to_regclass(partition) IS NOT NULL;
        -- Build the partition detached, move any rows the default partition caught, then attach it.
        EXECUTE format('CREATE TABLE %I (LIKE audit_events INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING GENERATED)', partition);
        EXECUTE format(
            'WITH moved AS (DELETE FROM audit_events_default WHERE occurred_at >= %L AND occurred_at < %L RETURNING *) '
            'INSERT INTO %I (%s) SELECT %s FROM moved',
            month_start::timestamp AT TIME ZONE 'UTC', (month_start + interval '1 month')::timestamp AT TIME ZONE 'UTC', partition, columns, columns);
        EXECUTE format('ALTER TABLE audit_events ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
            partition, month_start::timestamp AT TIME ZONE 'UTC', (month_start + interval '1 month')::timestamp AT TIME ZONE 'UTC');
        created := created + 1;
    END LOOP;
    RETURN created;
END $$;
