-- Row-level security denials: when PostgreSQL refuses a statement (SQLSTATE 42501) the app records who was refused
-- what, with a hint in plain words, in a transaction of its own (the refused one is rolled back and cannot carry it).
-- Readable by the app (the viewer filters by role), insertable only through denial_write.
CREATE TABLE rls_denials (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    user_id      uuid,
    user_email   text,
    roles        text[]      NOT NULL DEFAULT '{}',
    brands       text[]      NOT NULL DEFAULT '{}',
    locales      text[]      NOT NULL DEFAULT '{}',
    table_name   text,
    operation    text        NOT NULL CHECK (operation IN ('SELECT', 'INSERT', 'UPDATE', 'DELETE', 'EXECUTE', 'OTHER')),
    sqlstate     text        NOT NULL,
    message      text        NOT NULL,
    policy       text,
    request_id   text,
    hint         text        NOT NULL,
    detail       jsonb
);
CREATE INDEX rls_denials_occurred_idx ON rls_denials (occurred_at DESC, id DESC);
CREATE INDEX rls_denials_user_idx ON rls_denials (user_email, occurred_at DESC);
CREATE INDEX rls_denials_request_idx ON rls_denials (request_id) WHERE request_id IS NOT NULL;

CREATE FUNCTION denial_write(
    p_table_name text, p_operation text, p_sqlstate text, p_message text, p_policy text, p_hint text, p_detail jsonb DEFAULT NULL
) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    new_id bigint;
BEGIN
    INSERT INTO rls_denials (user_id, user_email, roles, brands, locales, table_name, operation, sqlstate, message, policy,
                             request_id, hint, detail)
    VALUES (app_user_id(), app_user_email(), app_roles(), app_brands(), app_locales(), p_table_name,
            CASE WHEN p_operation IN ('SELECT', 'INSERT', 'UPDATE', 'DELETE', 'EXECUTE') THEN p_operation ELSE 'OTHER' END,
            p_sqlstate, left(p_message, 2000), p_policy, app_request_id(), left(p_hint, 2000), p_detail)
    RETURNING id INTO new_id;
    PERFORM live_notify('audit', new_id::text, 'denial', app_user_email());
    RETURN new_id;
END $$;

GRANT SELECT ON rls_denials TO admin_app;
REVOKE ALL ON FUNCTION denial_write(text, text, text, text, text, text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION denial_write(text, text, text, text, text, text, jsonb) TO admin_app;
