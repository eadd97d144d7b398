-- Autosaved working copies of the section editor (issues 15 and 17): an editor's unsaved changes, per user and section,
-- kept every few seconds so that a closed tab, a lost connection or a killed app instance loses at most those seconds.
-- Saving a version still makes the immutable version; the working copy is then removed. Each user sees and writes only
-- their own copies (two editors never overwrite each other's), and only of sections they may edit (their locales).
CREATE TABLE section_working_copies (
    section_id   uuid NOT NULL REFERENCES homepage_sections (id) ON DELETE CASCADE,
    user_id      uuid NOT NULL,
    base_version integer NOT NULL CHECK (base_version >= 1),
    content      jsonb NOT NULL CHECK (jsonb_typeof(content) = 'object' AND octet_length(content::text) <= 1048576),
    saved_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (section_id, user_id)
);
CREATE INDEX section_working_copies_user_idx ON section_working_copies (user_id);

GRANT SELECT, INSERT, UPDATE, DELETE ON section_working_copies TO admin_app;

ALTER TABLE section_working_copies ENABLE ROW LEVEL SECURITY;
ALTER TABLE section_working_copies FORCE ROW LEVEL SECURITY;

CREATE POLICY section_working_copies_own ON section_working_copies FOR ALL TO admin_app
    USING (user_id = app_user_id() AND (SELECT rls_role_in('Admin', 'Editor')))
    WITH CHECK (user_id = app_user_id() AND (SELECT rls_role_in('Admin', 'Editor'))
                AND EXISTS (SELECT 1 FROM homepage_sections s WHERE s.id = section_id AND rls_scope_allows(NULL, s.locale)));
