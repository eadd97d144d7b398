-- 20261206006100_ReleaseSchedules
-- An approved release can be scheduled to deploy at a time. The schedule is a column of the release, so it goes with
-- the release's lock: the scheduler deploys a due release in a transaction that locks it FOR UPDATE and deploys only
-- an approved, due, not-held release, so with any number of app instances a schedule deploys exactly once. It deploys
-- as the release manager who scheduled it (the deployer and the audit say so), through the usual deploy trigger with
-- its conflict check. When that check refuses at the time (a blocking conflict), or the person no longer holds the
-- role, the schedule is held with the reason and the release stays approved: a notice, not a silent skip.

ALTER TABLE releases
    ADD COLUMN scheduled_at          timestamptz,
    ADD COLUMN scheduled_by_id       uuid,
    ADD COLUMN scheduled_by_email    text,
    ADD COLUMN schedule_held_at      timestamptz,
    ADD COLUMN schedule_held_reason  text;

-- The scheduler's look for due releases.
CREATE INDEX releases_due_idx ON releases (scheduled_at) WHERE status = 'APPROVED' AND scheduled_at IS NOT NULL AND schedule_held_at IS NULL;

-- Who may set what (after releases_before_update, which validated any status change):
-- * a schedule is set or cleared by a ReleaseManager or Admin, only on an approved release; the database records who
--   set it and clears an earlier hold;
-- * the scheduler (System) changes nothing but the hold, and holds only with a reason;
-- * leaving "approved" other than by deploying (back to draft, abandoned) drops the schedule.
CREATE FUNCTION releases_schedule_rules() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.scheduled_at IS DISTINCT FROM OLD.scheduled_at THEN
        IF NOT releases_may_manage() THEN
            RAISE EXCEPTION 'Only a ReleaseManager or an Admin schedules a deploy.' USING ERRCODE = 'insufficient_privilege', CONSTRAINT = 'releases_schedule_role';
        END IF;
        IF NEW.scheduled_at IS NOT NULL AND NEW.status <> 'APPROVED' THEN
            RAISE EXCEPTION 'Release #% is %: only an approved release can be scheduled.', OLD.id, lower(replace(NEW.status, '_', ' '))
                USING ERRCODE = 'check_violation', CONSTRAINT = 'releases_schedule_approved';
        END IF;
        NEW.scheduled_by_id := CASE WHEN NEW.scheduled_at IS NOT NULL THEN app_user_id() END;
        NEW.scheduled_by_email := CASE WHEN NEW.scheduled_at IS NOT NULL THEN app_user_email() END;
        NEW.schedule_held_at := NULL;
        NEW.schedule_held_reason := NULL;
    ELSIF (NEW.scheduled_by_id, NEW.scheduled_by_email) IS DISTINCT FROM (OLD.scheduled_by_id, OLD.scheduled_by_email) THEN
        RAISE EXCEPTION 'Who scheduled a release is kept by the database.' USING ERRCODE = 'check_violation', CONSTRAINT = 'releases_schedule_fixed';
    ELSIF (NEW.schedule_held_at, NEW.schedule_held_reason) IS DISTINCT FROM (OLD.schedule_held_at, OLD.schedule_held_reason) THEN
        IF NEW.schedule_held_at IS NOT NULL AND (OLD.scheduled_at IS NULL OR coalesce(btrim(NEW.schedule_held_reason), '') = '') THEN
            RAISE EXCEPTION 'A hold needs a schedule and a reason.' USING ERRCODE = 'check_violation', CONSTRAINT = 'releases_schedule_hold';
        END IF;
    END IF;

    IF app_has_role('System') AND NOT releases_may_manage()
       AND (to_jsonb(NEW) - 'schedule_held_at' - 'schedule_held_reason' - 'updated_at')
           IS DISTINCT FROM (to_jsonb(OLD) - 'schedule_held_at' - 'schedule_held_reason' - 'updated_at') THEN
        RAISE EXCEPTION 'The scheduler only holds a schedule.' USING ERRCODE = 'insufficient_privilege', CONSTRAINT = 'releases_schedule_role';
    END IF;

    IF OLD.status = 'APPROVED' AND NEW.status IN ('DRAFT', 'ABANDONED') THEN
        NEW.scheduled_at := NULL; NEW.scheduled_by_id := NULL; NEW.scheduled_by_email := NULL;
        NEW.schedule_held_at := NULL; NEW.schedule_held_reason := NULL;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER releases_schedule_rules BEFORE UPDATE ON releases FOR EACH ROW EXECUTE FUNCTION releases_schedule_rules();

-- The scheduler (System) may write a hold on a scheduled, approved release, and nothing else (the trigger above).
CREATE POLICY releases_schedule_hold ON releases FOR UPDATE TO admin_app
    USING ((SELECT rls_role_in('System')) AND status = 'APPROVED' AND scheduled_at IS NOT NULL)
    WITH CHECK ((SELECT rls_role_in('System')) AND status = 'APPROVED');

-- As in migration Releases, with the schedule's own actions.
CREATE OR REPLACE FUNCTION releases_audit() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    action text;
BEGIN
    IF TG_OP = 'INSERT' THEN
        action := 'release.created';
    ELSIF TG_OP = 'DELETE' THEN
        action := 'release.deleted';
    ELSIF NEW.status IS DISTINCT FROM OLD.status THEN
        action := 'release.' || CASE NEW.status
            WHEN 'IN_REVIEW' THEN 'submitted' WHEN 'APPROVED' THEN 'approved' WHEN 'DRAFT' THEN 'reopened'
            WHEN 'DEPLOYED' THEN CASE WHEN NEW.override_reason IS NOT NULL THEN 'deployed_with_override' ELSE 'deployed' END
            WHEN 'ROLLED_BACK' THEN 'rolled_back' ELSE 'abandoned' END;
    ELSIF NEW.base_deploy_seq IS DISTINCT FROM OLD.base_deploy_seq THEN
        action := 'release.rebased';
    ELSIF NEW.scheduled_at IS DISTINCT FROM OLD.scheduled_at THEN
        action := CASE WHEN NEW.scheduled_at IS NULL THEN 'release.unscheduled' ELSE 'release.scheduled' END;
    ELSIF NEW.schedule_held_at IS NOT NULL AND OLD.schedule_held_at IS NULL THEN
        action := 'release.schedule_held';
    ELSE
        action := 'release.updated';
    END IF;
    PERFORM audit_write(action, 'releases', coalesce(NEW.id, OLD.id)::text,
                        CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END, CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END);
    PERFORM live_notify('releases', coalesce(NEW.id, OLD.id)::text, action);
    RETURN NULL;
END $$;
