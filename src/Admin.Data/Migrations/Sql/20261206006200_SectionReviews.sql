-- 20261206006200_SectionReviews
-- Review before publish, per locale and switched by an admin: an editor asks for review of a version, another editor
-- or an admin approves it or sends it back with a comment, and while review is on for a locale only an approved version
-- goes live there (now or by schedule). Review requests, decisions and free comments are notes on a version, kept in
-- its history for good (no update or delete for the app). The rules are the database's, like the releases' rules.

CREATE TABLE content_review_locales (
    locale           text PRIMARY KEY REFERENCES locales (code),
    required         boolean NOT NULL,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    updated_by       uuid,
    updated_by_email text
);

CREATE TABLE section_version_notes (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    section_id   uuid NOT NULL REFERENCES homepage_sections (id) ON DELETE CASCADE,
    version_id   uuid NOT NULL REFERENCES section_versions (id) ON DELETE CASCADE,
    kind         text NOT NULL CHECK (kind IN ('comment', 'review_requested', 'approved', 'changes_requested')),
    body         text NOT NULL DEFAULT '' CHECK (length(body) <= 2000),
    author_id    uuid,
    author_email text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT section_review_comment_needed CHECK (kind NOT IN ('comment', 'changes_requested') OR btrim(body) <> '')
);
-- A version's notes in order (its review state is its latest review note), and a section's for its history.
CREATE INDEX section_version_notes_version_idx ON section_version_notes (version_id, id);
CREATE INDEX section_version_notes_section_idx ON section_version_notes (section_id, id);

-- The review state of a version: its latest review note's kind (NULL: never asked for).
CREATE FUNCTION section_review_state(p_version uuid) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT n.kind FROM section_version_notes n
    WHERE n.version_id = p_version AND n.kind <> 'comment' ORDER BY n.id DESC LIMIT 1
$$;

-- Whether a version may go live in its section's locale now: review is off there, or the version is approved.
CREATE FUNCTION section_review_allows_publish(p_version uuid) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT NOT coalesce((SELECT r.required FROM section_versions v JOIN homepage_sections s ON s.id = v.section_id
                         JOIN content_review_locales r ON r.locale = s.locale WHERE v.id = p_version), false)
        OR section_review_state(p_version) IS NOT DISTINCT FROM 'approved'
$$;

-- A note's author is the session's user; a decision needs an open request and someone other than the version's author.
CREATE FUNCTION section_version_notes_rules() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    state text;
    version_author uuid;
BEGIN
    NEW.author_id := app_user_id();
    NEW.author_email := app_user_email();
    NEW.created_at := now();
    IF NEW.author_id IS NULL THEN
        RAISE EXCEPTION 'A note needs a signed-in author.' USING ERRCODE = 'insufficient_privilege', CONSTRAINT = 'section_review_author';
    END IF;
    SELECT v.created_by INTO version_author FROM section_versions v WHERE v.id = NEW.version_id AND v.section_id = NEW.section_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'That version is not a version of this section.' USING ERRCODE = 'check_violation', CONSTRAINT = 'section_review_version';
    END IF;
    -- One review at a time per version (requests and decisions queue on the version row).
    PERFORM 1 FROM section_versions WHERE id = NEW.version_id FOR SHARE;
    PERFORM pg_advisory_xact_lock(hashtext('section_review:' || NEW.version_id::text));
    state := section_review_state(NEW.version_id);
    IF NEW.kind = 'review_requested' AND state IN ('review_requested', 'approved') THEN
        RAISE EXCEPTION 'This version is already %.', CASE state WHEN 'approved' THEN 'approved' ELSE 'waiting for review' END
            USING ERRCODE = 'check_violation', CONSTRAINT = 'section_review_open';
    ELSIF NEW.kind IN ('approved', 'changes_requested') THEN
        IF state IS DISTINCT FROM 'review_requested' THEN
            RAISE EXCEPTION 'Nobody asked for a review of this version (or it was decided already).'
                USING ERRCODE = 'check_violation', CONSTRAINT = 'section_review_open';
        END IF;
        IF version_author IS NOT NULL AND version_author = NEW.author_id THEN
            RAISE EXCEPTION 'Four eyes: you saved this version, so another editor or an admin reviews it.'
                USING ERRCODE = 'check_violation', CONSTRAINT = 'section_review_four_eyes';
        END IF;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER section_version_notes_rules BEFORE INSERT ON section_version_notes FOR EACH ROW EXECUTE FUNCTION section_version_notes_rules();

-- Every note is audited and announced on the section's topic (the editor and its history follow live).
CREATE FUNCTION section_version_notes_audit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM audit_write('content.' || CASE NEW.kind WHEN 'comment' THEN 'version_commented' WHEN 'review_requested' THEN 'review_requested'
                                                    WHEN 'approved' THEN 'review_approved' ELSE 'review_sent_back' END,
                        'homepage_sections', NEW.section_id::text, NULL, to_jsonb(NEW));
    PERFORM live_notify('content', NEW.section_id::text, 'note:' || (SELECT s.locale FROM homepage_sections s WHERE s.id = NEW.section_id));
    RETURN NULL;
END $$;
CREATE TRIGGER section_version_notes_audit AFTER INSERT ON section_version_notes FOR EACH ROW EXECUTE FUNCTION section_version_notes_audit();

-- Backstop for every way a version goes live (publish now, a schedule firing, plain SQL).
CREATE FUNCTION homepage_sections_review_gate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.published_version_id IS NOT NULL AND NEW.published_version_id IS DISTINCT FROM OLD.published_version_id
       AND NOT section_review_allows_publish(NEW.published_version_id) THEN
        RAISE EXCEPTION 'Review is on for %: this version goes live only once another editor or an admin has approved it.', NEW.locale
            USING ERRCODE = 'check_violation', CONSTRAINT = 'section_review_required';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER homepage_sections_review_gate BEFORE UPDATE OF published_version_id ON homepage_sections
    FOR EACH ROW EXECUTE FUNCTION homepage_sections_review_gate();

CREATE FUNCTION content_review_locales_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    NEW.updated_by := app_user_id();
    NEW.updated_by_email := app_user_email();
    PERFORM audit_write('content.review_setting_changed', 'content_review_locales', NEW.locale,
                        CASE WHEN TG_OP = 'UPDATE' THEN to_jsonb(OLD) END, to_jsonb(NEW));
    PERFORM live_notify('content', NEW.locale, 'review_setting:' || NEW.locale);
    RETURN NEW;
END $$;
CREATE TRIGGER content_review_locales_stamp BEFORE INSERT OR UPDATE ON content_review_locales
    FOR EACH ROW EXECUTE FUNCTION content_review_locales_stamp();

-- Reading: whoever reads sections. Writing notes: editors and admins within their locales. The switch: admins only.
ALTER TABLE content_review_locales ENABLE ROW LEVEL SECURITY;
ALTER TABLE content_review_locales FORCE ROW LEVEL SECURITY;
CREATE POLICY content_review_locales_read ON content_review_locales FOR SELECT TO admin_app
    USING ((SELECT rls_role_in('Admin', 'Editor', 'ReleaseManager', 'Dba', 'System')));
CREATE POLICY content_review_locales_insert ON content_review_locales FOR INSERT TO admin_app WITH CHECK ((SELECT rls_role_in('Admin')));
CREATE POLICY content_review_locales_update ON content_review_locales FOR UPDATE TO admin_app
    USING ((SELECT rls_role_in('Admin'))) WITH CHECK ((SELECT rls_role_in('Admin')));
GRANT SELECT, INSERT, UPDATE ON content_review_locales TO admin_app;
DO $$ BEGIN EXECUTE format('CREATE POLICY content_review_locales_owner ON content_review_locales TO %I USING (true) WITH CHECK (true)', current_user); END $$;

ALTER TABLE section_version_notes ENABLE ROW LEVEL SECURITY;
ALTER TABLE section_version_notes FORCE ROW LEVEL SECURITY;
CREATE POLICY section_version_notes_read ON section_version_notes FOR SELECT TO admin_app
    USING ((SELECT rls_role_in('Admin', 'Editor', 'ReleaseManager', 'Dba', 'System')));
CREATE POLICY section_version_notes_insert ON section_version_notes FOR INSERT TO admin_app
    WITH CHECK ((SELECT rls_role_in('Admin', 'Editor')) AND rls_section_scope_allows(section_id));
GRANT SELECT, INSERT ON section_version_notes TO admin_app;
DO $$ BEGIN EXECUTE format('CREATE POLICY section_version_notes_owner ON section_version_notes TO %I USING (true) WITH CHECK (true)', current_user); END $$;
GRANT EXECUTE ON FUNCTION section_review_state(uuid), section_review_allows_publish(uuid) TO admin_app;

-- EXPLAIN's role reads what a DBA reads (20261205000100_ExplainRole.sql): DBAs read sections, and so their notes.
GRANT SELECT ON content_review_locales, section_version_notes TO admin_explain;
CREATE POLICY content_review_locales_explain ON content_review_locales FOR SELECT TO admin_explain USING (true);
CREATE POLICY section_version_notes_explain ON section_version_notes FOR SELECT TO admin_explain USING (true);
