-- 20261129000103_StatusPostOneCall
-- A status post checked its token in one statement and posted in a second: two round trips, and on this machine the
-- app spent a quarter of its CPU in the kernel sending database commands over loopback. This function does both in
-- one call. The API answers 401 when the token is unknown or revoked (http_status 401, body NULL), exactly as the
-- separate check did; requests refused before reaching the database still check the token first (see DeploymentApi).
CREATE FUNCTION deploy_api_status_by_token(
    p_token_hash bytea, p_idempotency_key text, p_request_hash bytea, p_ref text, p_status text, p_message text,
    OUT http_status integer, OUT body text, OUT replayed boolean)
LANGUAGE plpgsql AS $$
DECLARE
    caller record;
BEGIN
    SELECT * INTO caller FROM api_token_authenticate(p_token_hash);
    IF NOT FOUND THEN
        http_status := 401;
        replayed := false;
        RETURN;
    END IF;
    SELECT s.http_status, s.body, s.replayed INTO http_status, body, replayed
    FROM deploy_api_status(caller.id, 'api:' || caller.name, p_idempotency_key, p_request_hash, p_ref, p_status, p_message) s;
END $$;
