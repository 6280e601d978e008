-- 003_user_management_and_permissions.sql
--
-- Prerequisite of migration 006: the pgcrypto extension (in schema `public`;
-- 006 schema-qualifies its calls as public.pgp_sym_encrypt /
-- public.pgp_sym_decrypt), users and their sessions, organization and
-- project membership, invitations, API keys and feature flags (7 tables).
--
-- Transaction: this file contains no BEGIN/COMMIT. The runner applies it with
-- `psql -X -v ON_ERROR_STOP=1 --single-transaction`.
--
-- Security: no grants to PUBLIC (see 001). Session tokens and API keys are
-- stored as hashes, never as the token itself.

CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA public;

CREATE TABLE platform.users (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	email text NOT NULL CHECK (position('@' IN email) > 1),
	username text,
	full_name text,
	password_hash text,
	is_active boolean NOT NULL DEFAULT true,
	last_sign_in_at timestamptz,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT users_email_key UNIQUE (email)
);

CREATE TRIGGER update_users_updated_at
	BEFORE UPDATE ON platform.users
	FOR EACH ROW EXECUTE FUNCTION platform.update_updated_at_column();

CREATE TABLE platform.user_sessions (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	user_id uuid NOT NULL REFERENCES platform.users (id) ON DELETE CASCADE,
	token text NOT NULL,
	ip_address inet,
	user_agent text,
	expires_at timestamptz NOT NULL,
	last_activity_at timestamptz,
	created_at timestamptz NOT NULL DEFAULT now()
);

COMMENT ON COLUMN platform.user_sessions.token IS 'SHA-256 hex of the bearer token; the token itself is never stored.';

CREATE UNIQUE INDEX idx_user_sessions_token ON platform.user_sessions (token);
CREATE INDEX idx_user_sessions_user_id ON platform.user_sessions (user_id);
CREATE INDEX idx_user_sessions_expires_at ON platform.user_sessions (expires_at);

CREATE TABLE platform.organization_members (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	organization_id uuid NOT NULL REFERENCES platform.organizations (id) ON DELETE CASCADE,
	user_id uuid NOT NULL REFERENCES platform.users (id) ON DELETE CASCADE,
	role text NOT NULL DEFAULT 'member' CHECK (role IN ('owner', 'admin', 'billing_admin', 'developer', 'member')),
	invited_by uuid REFERENCES platform.users (id) ON DELETE SET NULL,
	joined_at timestamptz NOT NULL DEFAULT now(),
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT organization_members_org_user_key UNIQUE (organization_id, user_id)
);

-- The unique key above already serves lookups by organization_id; this index
-- serves "which organizations is this user in".
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
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT project_members_project_user_key UNIQUE (project_id, user_id)
);

CREATE INDEX idx_project_members_user_id ON platform.project_members (user_id);

CREATE TRIGGER update_project_members_updated_at
	BEFORE UPDATE ON platform.project_members
	FOR EACH ROW EXECUTE FUNCTION platform.update_updated_at_column();

CREATE TABLE platform.organization_invitations (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	organization_id uuid NOT NULL REFERENCES platform.organizations (id) ON DELETE CASCADE,
	email text NOT NULL,
	role text NOT NULL DEFAULT 'member' CHECK (role IN ('owner', 'admin', 'billing_admin', 'developer', 'member')),
	token_hash text NOT NULL,
	invited_by uuid REFERENCES platform.users (id) ON DELETE SET NULL,
	expires_at timestamptz NOT NULL,
	accepted_at timestamptz,
	created_at timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT organization_invitations_token_hash_key UNIQUE (token_hash)
);

CREATE INDEX idx_organization_invitations_organization_id ON platform.organization_invitations (organization_id);

CREATE TABLE platform.api_keys (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	organization_id uuid NOT NULL REFERENCES platform.organizations (id) ON DELETE CASCADE,
	project_id uuid REFERENCES platform.projects (id) ON DELETE CASCADE,
	user_id uuid REFERENCES platform.users (id) ON DELETE SET NULL,
	name text NOT NULL,
	key_prefix text NOT NULL,
	key_hash text NOT NULL,
	scopes text[] NOT NULL DEFAULT '{}',
	last_used_at timestamptz,
	expires_at timestamptz,
	revoked_at timestamptz,
	created_at timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT api_keys_key_hash_key UNIQUE (key_hash)
);

CREATE INDEX idx_api_keys_organization_id ON platform.api_keys (organization_id);
CREATE INDEX idx_api_keys_project_id ON platform.api_keys (project_id);

CREATE TABLE platform.feature_flags (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	name text NOT NULL,
	description text,
	enabled boolean NOT NULL DEFAULT false,
	rollout_percent smallint NOT NULL DEFAULT 0 CHECK (rollout_percent BETWEEN 0 AND 100),
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT feature_flags_name_key UNIQUE (name)
);

CREATE TRIGGER update_feature_flags_updated_at
	BEFORE UPDATE ON platform.feature_flags
	FOR EACH ROW EXECUTE FUNCTION platform.update_updated_at_column();
