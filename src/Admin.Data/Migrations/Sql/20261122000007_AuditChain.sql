-- Tamper evidence for the audit trail: every row written from now on carries a sequence number in the chain and a
-- SHA-256 over the previous row's hash and its own canonical content. A verifier (./admin audit verify) recomputes the
-- chain: an edited row breaks its own hash, a deleted row leaves a gap in chain_seq, deleted newest rows no longer
-- match the head. The chain is kept by a BEFORE INSERT trigger, so every way a row gets in (audit_write, triggers of
-- other features, bulk loads) is chained; inserts serialise on the head row for the rest of their transaction.

ALTER TABLE audit_events ADD COLUMN chain_seq bigint, ADD COLUMN row_hash bytea;
CREATE INDEX audit_events_chain_seq_idx ON audit_events (chain_seq) WHERE chain_seq IS NOT NULL;

-- The newest link. genesis is where the chain starts (rows written before this migration are not chained).
CREATE TABLE audit_chain_head (
    id          int         PRIMARY KEY CHECK (id = 1),
    seq         bigint      NOT NULL,
    hash        bytea       NOT NULL,
    genesis     bytea       NOT NULL,
    started_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);
INSERT INTO audit_chain_head (id, seq, hash, genesis)
SELECT 1, 0, h, h FROM (SELECT sha256(convert_to('admin audit chain ' || gen_random_uuid(), 'UTF8')) AS h) g;

-- Partitions detached for archiving: where the chain continues after them.
CREATE TABLE audit_archives (
    partition_name text        PRIMARY KEY,
    first_seq      bigint,
    last_seq       bigint,
    last_hash      bytea,
    row_count      bigint      NOT NULL,
    detached_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    detached_by    text
);

-- What a row's hash covers, in a form that does not depend on the session (UTC time, canonical jsonb text).
-- (Fields, not the row type: a row trigger on a partitioned table sees each partition's own row type.)
CREATE FUNCTION audit_canonical(
    chain_seq bigint, id bigint, occurred_at timestamptz, actor_id uuid, actor_email text, actor_roles text[],
    action text, table_name text, record_id text, old_data jsonb, new_data jsonb, request_id text, client_address inet)
RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT jsonb_build_array(chain_seq, id, to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'),
                             actor_id, actor_email, actor_roles, action, table_name, record_id,
                             old_data, new_data, request_id, host(client_address))::text
$$;

-- Per row: the next link. The head is read (and locked) once per transaction and carried in transaction-local
-- settings, so a bulk insert does not update the head row once per row; the statement trigger writes it back.
CREATE FUNCTION audit_chain_link() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    seq  bigint;
    prev bytea;
BEGIN
    IF coalesce(current_setting('audit.chain_seq', true), '') = '' THEN
        SELECT h.seq, h.hash INTO seq, prev FROM audit_chain_head h WHERE h.id = 1 FOR UPDATE;
    ELSE
        seq := current_setting('audit.chain_seq')::bigint;
        prev := decode(current_setting('audit.chain_hash'), 'hex');
    END IF;
    NEW.chain_seq := seq + 1;
    NEW.row_hash := sha256(prev || convert_to(audit_canonical(NEW.chain_seq, NEW.id, NEW.occurred_at, NEW.actor_id,
        NEW.actor_email, NEW.actor_roles, NEW.action, NEW.table_name, NEW.record_id, NEW.old_data, NEW.new_data,
        NEW.request_id, NEW.client_address), 'UTF8'));
    PERFORM set_config('audit.chain_seq', NEW.chain_seq::text, true);
    PERFORM set_config('audit.chain_hash', encode(NEW.row_hash, 'hex'), true);
    RETURN NEW;
END $$;

CREATE FUNCTION audit_chain_advance() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF coalesce(current_setting('audit.chain_seq', true), '') <> '' THEN
        UPDATE audit_chain_head SET seq = current_setting('audit.chain_seq')::bigint,
                                    hash = decode(current_setting('audit.chain_hash'), 'hex')
         WHERE id = 1;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER audit_events_chain_link BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION audit_chain_link();
CREATE TRIGGER audit_events_chain_advance AFTER INSERT ON audit_events FOR EACH STATEMENT EXECUTE FUNCTION audit_chain_advance();

-- The verifier reads the head and the archive anchors (never writes them).
GRANT SELECT ON audit_chain_head, audit_archives TO admin_app;

-- Archiving: an old month is detached from audit_events (then dumped with pg_dump and dropped by the operator; see
-- docs/audit.md). Only the oldest chained month may go, so the chain stays verifiable from the anchor recorded here.
-- Owner only (./admin audit archive runs it as the schema owner); the app role cannot call it.
CREATE FUNCTION audit_archive_partition(p_partition text, p_by text) RETURNS audit_archives
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    bounds     record;
    archived   audit_archives;
    month_end  timestamptz;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('audit_ensure_partitions'));
    IF p_partition !~ '^audit_events_\d{4}_\d{2}$' OR to_regclass(p_partition) IS NULL
       OR NOT EXISTS (SELECT 1 FROM pg_inherits WHERE inhrelid = to_regclass(p_partition) AND inhparent = 'audit_events'::regclass) THEN
        RAISE EXCEPTION 'audit partition % does not exist (names look like audit_events_2026_01)', p_partition USING ERRCODE = '22023';
    END IF;
    month_end := (to_date(right(p_partition, 7), 'YYYY_MM') + interval '1 month')::timestamp AT TIME ZONE 'UTC';
    IF month_end > now() - interval '1 month' THEN
        RAISE EXCEPTION 'audit partition % is too recent: only months that ended over a month ago can be archived', p_partition USING ERRCODE = '22023';
    END IF;
    EXECUTE format('SELECT min(chain_seq) AS first_seq, max(chain_seq) AS last_seq, count(*) AS n FROM %I', p_partition) INTO bounds;
    IF bounds.first_seq IS NOT NULL AND EXISTS (SELECT 1 FROM audit_events WHERE chain_seq < bounds.first_seq
                                                 AND tableoid <> to_regclass(p_partition)) THEN
        RAISE EXCEPTION 'archive older months first: rows before % in the chain are still in other partitions', p_partition USING ERRCODE = '22023';
    END IF;
    EXECUTE format('ALTER TABLE audit_events DETACH PARTITION %I', p_partition);
    INSERT INTO audit_archives (partition_name, first_seq, last_seq, last_hash, row_count, detached_by)
    VALUES (p_partition, bounds.first_seq, bounds.last_seq,
            NULL, bounds.n, p_by)
    RETURNING * INTO archived;
    IF bounds.last_seq IS NOT NULL THEN
        EXECUTE format('UPDATE audit_archives SET last_hash = (SELECT row_hash FROM %I WHERE chain_seq = %s LIMIT 1) WHERE partition_name = %L RETURNING *',
                       p_partition, bounds.last_seq, p_partition) INTO archived;
    END IF;
    PERFORM audit_write('audit.partition_archived', 'audit_events', p_partition, NULL,
                        jsonb_build_object('partition', p_partition, 'rows', bounds.n, 'first_seq', bounds.first_seq, 'last_seq', bounds.last_seq),
                        NULL, p_by, ARRAY['Admin']);
    RETURN archived;
END $$;
REVOKE ALL ON FUNCTION audit_archive_partition(text, text) FROM PUBLIC;
