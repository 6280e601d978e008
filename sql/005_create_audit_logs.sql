-- 005_create_audit_logs.sql
--
-- Prerequisite of migration 006: the indexes of platform.audit_logs (created
-- in 003), platform.log_audit_event() and platform.clean_old_audit_logs().
--
-- The customer's 005 was written for another audit_logs shape: its index
-- statements fail and its log_audit_event writes columns the table does not
-- have (PLAN-REVIEW defect #16). This file keeps the customer's function
-- signature and writes the columns that exist: event_type (entity.action),
-- resource_type, resource_id (when the entity id is a uuid), action, ip
-- address, user agent, and the changes in metadata; the organization and
-- project are derived from the entity when it is one.
--
-- Transaction: this file contains no BEGIN/COMMIT. The runner applies it with
-- `psql -X -v ON_ERROR_STOP=1 --single-transaction`.
--
-- Security: no grants to PUBLIC; both functions run with the caller's rights
-- and a pinned search_path.

CREATE INDEX idx_audit_logs_organization_created_at ON platform.audit_logs (organization_id, created_at DESC);
CREATE INDEX idx_audit_logs_user_id_created_at ON platform.audit_logs (user_id, created_at DESC);
CREATE INDEX idx_audit_logs_project_id ON platform.audit_logs (project_id) WHERE project_id IS NOT NULL;
CREATE INDEX idx_audit_logs_event_type ON platform.audit_logs (event_type);

CREATE FUNCTION platform.log_audit_event(
	p_user_id uuid,
	p_entity_type text,
	p_entity_id text,
	p_action text,
	p_changes jsonb DEFAULT NULL,
	p_ip_address inet DEFAULT NULL,
	p_user_agent text DEFAULT NULL
)
RETURNS uuid
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	v_resource uuid;
	v_organization uuid;
	v_project uuid;
	v_id uuid;
BEGIN
	IF p_entity_id ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
		v_resource := p_entity_id::uuid;
	END IF;
	IF p_entity_type = 'organization' THEN
		v_organization := v_resource;
	ELSIF p_entity_type = 'project' THEN
		SELECT p.id, p.organization_id INTO v_project, v_organization FROM platform.projects p WHERE p.id = v_resource;
	END IF;
	INSERT INTO platform.audit_logs (organization_id, project_id, user_id, event_type, resource_type, resource_id, action, ip_address, user_agent, metadata, severity)
	VALUES (v_organization, v_project, p_user_id, coalesce(p_entity_type, 'unknown') || '.' || p_action, p_entity_type, v_resource, p_action,
		p_ip_address, p_user_agent,
		jsonb_strip_nulls(jsonb_build_object('changes', p_changes, 'entity_id', CASE WHEN v_resource IS NULL THEN p_entity_id END)),
		'info')
	RETURNING id INTO v_id;
	RETURN v_id;
END;
$$;

COMMENT ON FUNCTION platform.log_audit_event(uuid, text, text, text, jsonb, inet, text) IS 'Appends one audit event (columns of platform.audit_logs as they are) and returns its id.';

CREATE FUNCTION platform.clean_old_audit_logs(days_to_keep integer)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	removed integer;
BEGIN
	IF days_to_keep IS NULL OR days_to_keep < 1 THEN
		RAISE EXCEPTION 'days_to_keep must be at least 1, got %', days_to_keep;
	END IF;
	DELETE FROM platform.audit_logs WHERE created_at < now() - make_interval(days => days_to_keep);
	GET DIAGNOSTICS removed = ROW_COUNT;
	RETURN removed;
END;
$$;
