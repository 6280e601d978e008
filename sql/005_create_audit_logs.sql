-- 005_create_audit_logs.sql
--
-- Prerequisite of migration 006: platform.audit_logs (the 23rd platform
-- table) with the columns the plan's baseline and monitoring queries use
-- (organization_id, created_at, ...) and the indexes serving them, plus
-- platform.log_audit_event(), which writes only columns that exist
-- (PLAN-REVIEW defect #16).
--
-- Transaction: this file contains no BEGIN/COMMIT. The runner applies it with
-- `psql -X -v ON_ERROR_STOP=1 --single-transaction`.
--
-- Security: no grants to PUBLIC; log_audit_event runs with the caller's
-- rights (not SECURITY DEFINER) and has a pinned search_path.

CREATE TABLE platform.audit_logs (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	organization_id uuid NOT NULL REFERENCES platform.organizations (id) ON DELETE CASCADE,
	project_id uuid REFERENCES platform.projects (id) ON DELETE SET NULL,
	user_id uuid REFERENCES platform.users (id) ON DELETE SET NULL,
	action text NOT NULL,
	target_type text,
	target_id text,
	ip_address inet,
	user_agent text,
	metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
	created_at timestamptz NOT NULL DEFAULT now()
);

COMMENT ON TABLE platform.audit_logs IS 'Append-only record of actions, per organization.';

CREATE INDEX idx_audit_logs_organization_created_at ON platform.audit_logs (organization_id, created_at DESC);
CREATE INDEX idx_audit_logs_user_id_created_at ON platform.audit_logs (user_id, created_at DESC);
CREATE INDEX idx_audit_logs_project_id ON platform.audit_logs (project_id) WHERE project_id IS NOT NULL;

CREATE FUNCTION platform.log_audit_event(
	p_organization_id uuid,
	p_action text,
	p_user_id uuid DEFAULT NULL,
	p_project_id uuid DEFAULT NULL,
	p_target_type text DEFAULT NULL,
	p_target_id text DEFAULT NULL,
	p_metadata jsonb DEFAULT '{}'::jsonb
)
RETURNS bigint
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
	INSERT INTO platform.audit_logs (organization_id, project_id, user_id, action, target_type, target_id, metadata)
	VALUES (p_organization_id, p_project_id, p_user_id, p_action, p_target_type, p_target_id, coalesce(p_metadata, '{}'::jsonb))
	RETURNING id;
$$;

COMMENT ON FUNCTION platform.log_audit_event(uuid, text, uuid, uuid, text, text, jsonb) IS 'Appends one audit event and returns its id (runs with the caller''s rights).';
