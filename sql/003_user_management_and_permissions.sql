-- 003_user_management_and_permissions.sql
--
-- Prerequisite of migration 006: the pgcrypto extension (in schema `public`;
-- 006 schema-qualifies its calls as public.pgp_sym_encrypt /
-- public.pgp_sym_decrypt), users and their sessions, organization and
-- project membership, invitations, API keys, the audit log table, feature
-- flags and their per-organization overrides (9 tables), and the access
-- functions has_project_access, is_organization_owner,
-- get_active_feature_flags. Shapes as in the customer's database
-- (CUSTOMER-DATABASE.md); audit_logs has event_type, action, severity and a
-- uuid id. Its indexes and log_audit_event come in 005.
--
-- Transaction: this file contains no BEGIN/COMMIT. The runner applies it with
-- `psql -X -v ON_ERROR_STOP=1 --single-transaction`.
--
-- Security: no grants to PUBLIC. Session tokens and API keys are meant to be
-- stored as hashes; user_sessions has no updated_at, its trigger keeps
-- last_activity_at current instead.

CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA public;

CREATE TABLE platform.users (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	email text NOT NULL,
	username text,
	first_name text,
	last_name text,
	avatar_url text,
	phone text,
	password_hash text,
	mfa_enabled boolean DEFAULT false,
	email_confirmed_at timestamptz,
	banned_until timestamptz,
	deleted_at timestamptz,
	metadata jsonb DEFAULT '{}'::jsonb,
	last_sign_in_at timestamptz,
	created_at timestamptz DEFAULT now(),
	updated_at timestamptz DEFAULT now(),
	CONSTRAINT users_email_key UNIQUE (email),
	CONSTRAINT users_username_key UNIQUE (username),
	CONSTRAINT users_email_shape CHECK (position('@' IN email) > 1)
);

CREATE TRIGGER update_users_updated_at
	BEFORE UPDATE ON platform.users
	FOR EACH ROW EXECUTE FUNCTION platform.update_updated_at_column();

CREATE TABLE platform.user_sessions (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	user_id uuid NOT NULL REFERENCES platform.users (id) ON DELETE CASCADE,
	token text NOT NULL,
	refresh_token text,
	ip_address inet,
	user_agent text,
	expires_at timestamptz NOT NULL,
	last_activity_at timestamptz DEFAULT now(),
	created_at timestamptz DEFAULT now()
);

CREATE UNIQUE INDEX idx_user_sessions_token ON platform.user_sessions (token);
CREATE INDEX idx_user_sessions_user_id ON platform.user_sessions (user_id);
CREATE INDEX idx_user_sessions_expires_at ON platform.user_sessions (expires_at);

CREATE TRIGGER update_user_sessions_activity
	BEFORE UPDATE ON platform.user_sessions
	FOR EACH ROW EXECUTE FUNCTION platform.update_updated_at_column('last_activity_at');

CREATE TABLE platform.organization_members (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	organization_id uuid NOT NULL REFERENCES platform.organizations (id) ON DELETE CASCADE,
	user_id uuid NOT NULL REFERENCES platform.users (id) ON DELETE CASCADE,
	role text NOT NULL DEFAULT 'developer' CHECK (role IN ('owner', 'admin', 'billing_admin', 'developer', 'member', 'read_only')),
	invited_at timestamptz,
	invited_by uuid REFERENCES platform.users (id) ON DELETE SET NULL,
	joined_at timestamptz DEFAULT now(),
	created_at timestamptz DEFAULT now(),
	updated_at timestamptz DEFAULT now(),
	CONSTRAINT organization_members_org_user_key UNIQUE (organization_id, user_id)
);

CREATE INDEX idx_organization_members_user_id ON platform.organization_members (user_id);
CREATE INDEX idx_organization_members_organization_id ON platform.organization_members (organization_id);

CREATE TRIGGER update_organization_members_updated_at
	BEFORE UPDATE ON platform.organization_members
	FOR EACH ROW EXECUTE FUNCTION platform.update_updated_at_column();

CREATE TABLE platform.project_members (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	project_id uuid NOT NULL REFERENCES platform.projects (id) ON DELETE CASCADE,
	user_id uuid NOT NULL REFERENCES platform.users (id) ON DELETE CASCADE,
	role text NOT NULL DEFAULT 'developer' CHECK (role IN ('admin', 'developer', 'read_only')),
	added_by uuid REFERENCES platform.users (id) ON DELETE SET NULL,
	created_at timestamptz DEFAULT now(),
	updated_at timestamptz DEFAULT now(),
	CONSTRAINT project_members_project_user_key UNIQUE (project_id, user_id)
);

CREATE INDEX idx_project_members_user_id ON platform.project_members (user_id);

CREATE TRIGGER update_project_members_updated_at
	BEFORE UPDATE ON platform.project_members
	FOR EACH ROW EXECUTE FUNCTION platform.update_updated_at_column();

CREATE TABLE platform.organization_invitations (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	organization_id uuid NOT NULL REFERENCES platform.organizations (id) ON DELETE CASCADE,
	invited_email text NOT NULL,
	invited_by uuid NOT NULL REFERENCES platform.users (id) ON DELETE CASCADE,
	role text NOT NULL DEFAULT 'developer' CHECK (role IN ('owner', 'admin', 'billing_admin', 'developer', 'member', 'read_only')),
	token text NOT NULL,
	expires_at timestamptz NOT NULL,
	accepted_at timestamptz,
	created_at timestamptz DEFAULT now(),
	CONSTRAINT organization_invitations_token_key UNIQUE (token)
);

CREATE INDEX idx_organization_invitations_organization_id ON platform.organization_invitations (organization_id);

CREATE TABLE platform.api_keys (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	organization_id uuid NOT NULL REFERENCES platform.organizations (id) ON DELETE CASCADE,
	user_id uuid NOT NULL REFERENCES platform.users (id) ON DELETE CASCADE,
	name text NOT NULL,
	key_prefix text NOT NULL,
	key_hash text NOT NULL,
	scopes jsonb DEFAULT '[]'::jsonb,
	last_used_at timestamptz,
	expires_at timestamptz,
	revoked_at timestamptz,
	created_at timestamptz DEFAULT now(),
	CONSTRAINT api_keys_key_hash_key UNIQUE (key_hash)
);

CREATE INDEX idx_api_keys_organization_id ON platform.api_keys (organization_id);

CREATE TABLE platform.audit_logs (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	organization_id uuid REFERENCES platform.organizations (id) ON DELETE CASCADE,
	project_id uuid REFERENCES platform.projects (id) ON DELETE SET NULL,
	user_id uuid REFERENCES platform.users (id) ON DELETE SET NULL,
	event_type text NOT NULL,
	resource_type text,
	resource_id uuid,
	action text NOT NULL,
	ip_address inet,
	user_agent text,
	metadata jsonb DEFAULT '{}'::jsonb,
	severity text DEFAULT 'info' CHECK (severity IN ('debug', 'info', 'warning', 'error', 'critical')),
	created_at timestamptz DEFAULT now()
);

COMMENT ON TABLE platform.audit_logs IS 'Append-only record of events, per organization and project.';

CREATE TABLE platform.feature_flags (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	flag_key text NOT NULL,
	flag_name text NOT NULL,
	description text,
	enabled boolean DEFAULT false,
	rollout_percentage integer DEFAULT 0 CHECK (rollout_percentage BETWEEN 0 AND 100),
	created_at timestamptz DEFAULT now(),
	updated_at timestamptz DEFAULT now(),
	CONSTRAINT feature_flags_flag_key_key UNIQUE (flag_key)
);

CREATE TRIGGER update_feature_flags_updated_at
	BEFORE UPDATE ON platform.feature_flags
	FOR EACH ROW EXECUTE FUNCTION platform.update_updated_at_column();

CREATE TABLE platform.organization_feature_flags (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	organization_id uuid NOT NULL REFERENCES platform.organizations (id) ON DELETE CASCADE,
	flag_id uuid NOT NULL REFERENCES platform.feature_flags (id) ON DELETE CASCADE,
	enabled boolean NOT NULL DEFAULT true,
	created_at timestamptz DEFAULT now(),
	updated_at timestamptz DEFAULT now(),
	CONSTRAINT organization_feature_flags_org_flag_key UNIQUE (organization_id, flag_id)
);

CREATE TRIGGER update_organization_feature_flags_updated_at
	BEFORE UPDATE ON platform.organization_feature_flags
	FOR EACH ROW EXECUTE FUNCTION platform.update_updated_at_column();

CREATE FUNCTION platform.is_organization_owner(p_user_id uuid, p_organization_id uuid)
RETURNS boolean
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT EXISTS (
		SELECT 1 FROM platform.organization_members m
		WHERE m.user_id = p_user_id AND m.organization_id = p_organization_id AND m.role = 'owner'
	);
$$;

-- A user may use a project when they are a member of it or of its organization.
CREATE FUNCTION platform.has_project_access(p_user_id uuid, p_project_id uuid)
RETURNS boolean
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT EXISTS (SELECT 1 FROM platform.project_members pm WHERE pm.project_id = p_project_id AND pm.user_id = p_user_id)
		OR EXISTS (
			SELECT 1 FROM platform.projects p
			JOIN platform.organization_members m ON m.organization_id = p.organization_id
			WHERE p.id = p_project_id AND m.user_id = p_user_id
		);
$$;

-- The flags in force for an organization: its own override where it has one, else the global flag.
CREATE FUNCTION platform.get_active_feature_flags(p_organization_id uuid)
RETURNS TABLE (flag_key text, flag_name text, enabled boolean)
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT f.flag_key, f.flag_name, coalesce(o.enabled, f.enabled, false)
	FROM platform.feature_flags f
	LEFT JOIN platform.organization_feature_flags o ON o.flag_id = f.id AND o.organization_id = p_organization_id
	WHERE coalesce(o.enabled, f.enabled, false)
	ORDER BY f.flag_key;
$$;
