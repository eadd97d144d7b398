-- 20261122000001_Foundation
-- Runs as the schema owner role. The app connects as admin_app (LOGIN, NOSUPERUSER, NOBYPASSRLS), which is
-- granted only what it needs below, table by table, so row-level security can always bite it.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'admin_app') THEN
        RAISE EXCEPTION 'role admin_app does not exist: create it first (./admin db start does; see docs/operations.md)';
    END IF;
END $$;

-- The app role must never bypass row-level security, whoever provisioned it.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'admin_app' AND (rolsuper OR rolbypassrls)) THEN
        RAISE EXCEPTION 'role admin_app must be NOSUPERUSER NOBYPASSRLS';
    END IF;
END $$;

GRANT SELECT ON "__EFMigrationsHistory" TO admin_app;

-- ---------------------------------------------------------------------------------------------------------
-- Session context: the app sets these per connection (SessionContextInterceptor). Empty means "not set".
-- Policies and triggers read them through these helpers, never through current_setting directly.
-- ---------------------------------------------------------------------------------------------------------
CREATE FUNCTION app_user_id() RETURNS uuid LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT nullif(current_setting('app.user_id', true), '')::uuid $$;

CREATE FUNCTION app_user_email() RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT nullif(current_setting('app.user_email', true), '') $$;

CREATE FUNCTION app_setting_list(name text) RETURNS text[] LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT coalesce(string_to_array(nullif(current_setting(name, true), ''), ','), '{}'::text[]) $$;

CREATE FUNCTION app_roles() RETURNS text[] LANGUAGE sql STABLE PARALLEL SAFE AS $$ SELECT app_setting_list('app.roles') $$;
CREATE FUNCTION app_brands() RETURNS text[] LANGUAGE sql STABLE PARALLEL SAFE AS $$ SELECT app_setting_list('app.brands') $$;
CREATE FUNCTION app_locales() RETURNS text[] LANGUAGE sql STABLE PARALLEL SAFE AS $$ SELECT app_setting_list('app.locales') $$;
CREATE FUNCTION app_request_id() RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT nullif(current_setting('app.request_id', true), '') $$;
CREATE FUNCTION app_has_role(role text) RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT role = ANY (app_roles()) $$;

-- ---------------------------------------------------------------------------------------------------------
-- Live channel: small JSON messages {topic, id, actor, at} on one channel; every app instance LISTENs.
-- ---------------------------------------------------------------------------------------------------------
CREATE FUNCTION live_notify(topic text, id text DEFAULT NULL, kind text DEFAULT NULL, actor text DEFAULT NULL) RETURNS void
LANGUAGE sql VOLATILE AS $$
    SELECT pg_notify('admin_live', json_build_object(
        'topic', topic, 'id', id, 'kind', kind,
        'actor', coalesce(actor, app_user_email()), 'at', to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))::text)
$$;

-- ---------------------------------------------------------------------------------------------------------
-- Reference data every feature shares; user scopes refer to these codes.
-- ---------------------------------------------------------------------------------------------------------
CREATE TABLE locales (
    code      text PRIMARY KEY CHECK (code ~ '^[a-z]{2,3}(-[A-Z]{2})?$'),
    name      text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    is_active boolean NOT NULL DEFAULT true
);

CREATE TABLE brands (
    slug      text PRIMARY KEY CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    name      text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    is_active boolean NOT NULL DEFAULT true
);

CREATE TABLE jurisdictions (
    code      text PRIMARY KEY CHECK (code ~ '^[A-Z]{2}(-[A-Z0-9]{1,3})?$'),
    name      text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    is_active boolean NOT NULL DEFAULT true
);

GRANT SELECT ON locales, brands, jurisdictions TO admin_app;

-- ---------------------------------------------------------------------------------------------------------
-- Identity (ASP.NET Core Identity's stores, mapped by AccountDbContext).
-- ---------------------------------------------------------------------------------------------------------
CREATE TABLE roles (
    id uuid NOT NULL,
    name character varying(256),
    normalized_name character varying(256),
    concurrency_stamp text,
    CONSTRAINT pk_roles PRIMARY KEY (id)
);
CREATE TABLE users (
    id uuid NOT NULL,
    display_name character varying(200) NOT NULL,
    is_disabled boolean NOT NULL,
    created_at timestamp with time zone NOT NULL,
    user_name character varying(256),
    normalized_user_name character varying(256),
    email character varying(256),
    normalized_email character varying(256),
    email_confirmed boolean NOT NULL,
    password_hash text,
    security_stamp text,
    concurrency_stamp text,
    phone_number text,
    phone_number_confirmed boolean NOT NULL,
    two_factor_enabled boolean NOT NULL,
    lockout_end timestamp with time zone,
    lockout_enabled boolean NOT NULL,
    access_failed_count integer NOT NULL,
    CONSTRAINT pk_users PRIMARY KEY (id)
);
CREATE TABLE role_claims (
    id integer GENERATED BY DEFAULT AS IDENTITY,
    role_id uuid NOT NULL,
    claim_type text,
    claim_value text,
    CONSTRAINT pk_role_claims PRIMARY KEY (id),
    CONSTRAINT fk_role_claims_roles_role_id FOREIGN KEY (role_id) REFERENCES roles (id) ON DELETE CASCADE
);
CREATE TABLE user_claims (
    id integer GENERATED BY DEFAULT AS IDENTITY,
    user_id uuid NOT NULL,
    claim_type text,
    claim_value text,
    CONSTRAINT pk_user_claims PRIMARY KEY (id),
    CONSTRAINT fk_user_claims_users_user_id FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);
CREATE TABLE user_logins (
    login_provider text NOT NULL,
    provider_key text NOT NULL,
    provider_display_name text,
    user_id uuid NOT NULL,
    CONSTRAINT pk_user_logins PRIMARY KEY (login_provider, provider_key),
    CONSTRAINT fk_user_logins_users_user_id FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);
CREATE TABLE user_roles (
    user_id uuid NOT NULL,
    role_id uuid NOT NULL,
    CONSTRAINT pk_user_roles PRIMARY KEY (user_id, role_id),
    CONSTRAINT fk_user_roles_roles_role_id FOREIGN KEY (role_id) REFERENCES roles (id) ON DELETE CASCADE,
    CONSTRAINT fk_user_roles_users_user_id FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);
CREATE TABLE user_tokens (
    user_id uuid NOT NULL,
    login_provider text NOT NULL,
    name text NOT NULL,
    value text,
    CONSTRAINT pk_user_tokens PRIMARY KEY (user_id, login_provider, name),
    CONSTRAINT fk_user_tokens_users_user_id FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);
CREATE INDEX ix_role_claims_role_id ON role_claims (role_id);
CREATE UNIQUE INDEX role_name_index ON roles (normalized_name);
CREATE INDEX ix_user_claims_user_id ON user_claims (user_id);
CREATE INDEX ix_user_logins_user_id ON user_logins (user_id);
CREATE INDEX ix_user_roles_role_id ON user_roles (role_id);
CREATE INDEX email_index ON users (normalized_email);
CREATE UNIQUE INDEX user_name_index ON users (normalized_user_name);

-- The four roles are part of the contract between the schema (policies) and the app; users are data.
INSERT INTO roles (id, name, normalized_name, concurrency_stamp)
SELECT gen_random_uuid(), r, upper(r), gen_random_uuid()::text
FROM unnest(ARRAY['Admin', 'Editor', 'ReleaseManager', 'Dba']) AS r;

GRANT SELECT, INSERT, UPDATE, DELETE ON users, roles, user_roles, user_claims, user_logins, user_tokens, role_claims TO admin_app;
GRANT USAGE ON SEQUENCE user_claims_id_seq, role_claims_id_seq TO admin_app;

-- ---------------------------------------------------------------------------------------------------------
-- Audit trail: append-only, partitioned by month. The app role may read it and may add rows only through
-- audit_write (SECURITY DEFINER), which fills the actor from the session context when the caller does not.
-- ---------------------------------------------------------------------------------------------------------
CREATE SEQUENCE audit_events_id_seq AS bigint;

CREATE TABLE audit_events (
    id             bigint      NOT NULL DEFAULT nextval('audit_events_id_seq'),
    occurred_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor_id       uuid,
    actor_email    text,
    actor_roles    text[]      NOT NULL DEFAULT '{}',
    action         text        NOT NULL CHECK (length(action) BETWEEN 1 AND 100),
    table_name     text,
    record_id      text,
    old_data       jsonb,
    new_data       jsonb,
    request_id     text,
    client_address inet,
    PRIMARY KEY (occurred_at, id)
) PARTITION BY RANGE (occurred_at);

ALTER SEQUENCE audit_events_id_seq OWNED BY audit_events.id;

-- Catches rows for a month whose partition does not exist yet, so an insert never fails for that reason;
-- audit_ensure_partitions moves such rows into their own partition when it creates it.
CREATE TABLE audit_events_default PARTITION OF audit_events DEFAULT;

CREATE INDEX audit_events_actor_idx ON audit_events (actor_id, occurred_at DESC);
CREATE INDEX audit_events_request_idx ON audit_events (request_id) WHERE request_id IS NOT NULL;
CREATE INDEX audit_events_action_idx ON audit_events (action, occurred_at DESC);

CREATE FUNCTION audit_ensure_partitions(months_ahead int DEFAULT 3) RETURNS int
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    month_start date;
    partition   text;
    created     int := 0;
BEGIN
    -- Two app instances may run this at the same moment.
    PERFORM pg_advisory_xact_lock(hashtext('audit_ensure_partitions'));
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
        EXECUTE format('CREATE TABLE %I (LIKE audit_events INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', partition);
        EXECUTE format(
            'WITH moved AS (DELETE FROM audit_events_default WHERE occurred_at >= %L AND occurred_at < %L RETURNING *) '
            'INSERT INTO %I SELECT * FROM moved',
            month_start::timestamp AT TIME ZONE 'UTC', (month_start + interval '1 month')::timestamp AT TIME ZONE 'UTC', partition);
        EXECUTE format('ALTER TABLE audit_events ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
            partition, month_start::timestamp AT TIME ZONE 'UTC', (month_start + interval '1 month')::timestamp AT TIME ZONE 'UTC');
        created := created + 1;
    END LOOP;
    RETURN created;
END $$;

SELECT audit_ensure_partitions(3);

CREATE FUNCTION audit_write(
    p_action         text,
    p_table_name     text    DEFAULT NULL,
    p_record_id      text    DEFAULT NULL,
    p_old_data       jsonb   DEFAULT NULL,
    p_new_data       jsonb   DEFAULT NULL,
    p_actor_id       uuid    DEFAULT NULL,
    p_actor_email    text    DEFAULT NULL,
    p_actor_roles    text[]  DEFAULT NULL,
    p_request_id     text    DEFAULT NULL,
    p_client_address inet    DEFAULT NULL
) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    new_id bigint;
BEGIN
    INSERT INTO audit_events (actor_id, actor_email, actor_roles, action, table_name, record_id,
                              old_data, new_data, request_id, client_address)
    VALUES (coalesce(p_actor_id, app_user_id()),
            coalesce(p_actor_email, app_user_email()),
            coalesce(p_actor_roles, app_roles()),
            p_action, p_table_name, p_record_id, p_old_data, p_new_data,
            coalesce(p_request_id, app_request_id()), p_client_address)
    RETURNING id INTO new_id;
    PERFORM live_notify('audit', new_id::text, p_action, coalesce(p_actor_email, app_user_email()));
    RETURN new_id;
END $$;

GRANT SELECT ON audit_events TO admin_app;
REVOKE ALL ON FUNCTION audit_write(text, text, text, jsonb, jsonb, uuid, text, text[], text, inet) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION audit_write(text, text, text, jsonb, jsonb, uuid, text, text[], text, inet) TO admin_app;
REVOKE ALL ON FUNCTION audit_ensure_partitions(int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION audit_ensure_partitions(int) TO admin_app;
