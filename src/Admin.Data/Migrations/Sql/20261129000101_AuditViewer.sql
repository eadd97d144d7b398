-- 20261129000101_AuditViewer
-- Indexes for the audit viewer's filters, each ending in the viewer's order (occurred_at DESC, id DESC) so a filtered
-- page is an index range read that stops after one page, whatever the table's size.
CREATE INDEX audit_events_actor_email_idx ON audit_events (lower(actor_email), occurred_at DESC, id DESC);
CREATE INDEX audit_events_record_idx ON audit_events (table_name, record_id, occurred_at DESC, id DESC);
DROP INDEX audit_events_action_idx;
CREATE INDEX audit_events_action_idx ON audit_events (action, occurred_at DESC, id DESC);
DROP INDEX audit_events_request_idx;
CREATE INDEX audit_events_request_idx ON audit_events (request_id, occurred_at DESC, id DESC) WHERE request_id IS NOT NULL;

CREATE INDEX rls_denials_user_lower_idx ON rls_denials (lower(user_email), occurred_at DESC, id DESC);
DROP INDEX rls_denials_user_idx;
