-- 001_create_platform_schema.sql
--
-- Prerequisite of migration 006: the `platform` schema, organizations,
-- projects, credentials and the shared trigger function
-- platform.update_updated_at_column().
--
-- Transaction: this file contains no BEGIN/COMMIT. The runner applies it with
-- `psql -X -v ON_ERROR_STOP=1 --single-transaction`, so it applies entirely
-- or not at all.
--
-- Security (PLAN-REVIEW defect #12): nothing here is granted to PUBLIC. A new
-- schema and new tables carry no PUBLIC privileges; the application role gets
-- its grants from whoever provisions it (the sandbox does it in
-- source/sandbox/data.ts). credentials holds secrets: it is readable by its
-- owner and by roles explicitly granted, never by PUBLIC. No literal secret
-- appears in any migration file.

CREATE SCHEMA platform;

COMMENT ON SCHEMA platform IS 'Platform metadata: organizations, projects, billing, users and audit.';

CREATE FUNCTION platform.update_updated_at_column()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	NEW.updated_at := now();
	RETURN NEW;
END;
$$;

COMMENT ON FUNCTION platform.update_updated_at_column() IS 'BEFORE UPDATE trigger function: sets updated_at to now().';

CREATE TABLE platform.organizations (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	name text NOT NULL CHECK (length(btrim(name)) > 0),
	slug text NOT NULL CHECK (slug ~ '^[a-z0-9][a-z0-9-]*$'),
	billing_email text,
	kind text NOT NULL DEFAULT 'company' CHECK (kind IN ('personal', 'company', 'agency')),
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT organizations_slug_key UNIQUE (slug)
);

COMMENT ON TABLE platform.organizations IS 'Tenants of the platform.';

CREATE TRIGGER update_organizations_updated_at
	BEFORE UPDATE ON platform.organizations
	FOR EACH ROW EXECUTE FUNCTION platform.update_updated_at_column();

CREATE TABLE platform.projects (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	organization_id uuid NOT NULL REFERENCES platform.organizations (id) ON DELETE CASCADE,
	name text NOT NULL CHECK (length(btrim(name)) > 0),
	ref text NOT NULL CHECK (ref ~ '^[a-z0-9][a-z0-9-]*$'),
	region text NOT NULL DEFAULT 'us-east-1',
	cloud_provider text NOT NULL DEFAULT 'aws',
	status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'restoring', 'removed')),
	db_host text,
	db_port integer CHECK (db_port > 0 AND db_port < 65536),
	inserted_at timestamptz NOT NULL DEFAULT now(),
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT projects_ref_key UNIQUE (ref)
);

CREATE INDEX idx_projects_organization_id ON platform.projects (organization_id);

COMMENT ON TABLE platform.projects IS 'Projects of an organization. Holds no database password: credentials live in platform.credentials.';

CREATE TRIGGER update_projects_updated_at
	BEFORE UPDATE ON platform.projects
	FOR EACH ROW EXECUTE FUNCTION platform.update_updated_at_column();

CREATE TABLE platform.credentials (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	project_id uuid NOT NULL REFERENCES platform.projects (id) ON DELETE CASCADE,
	anon_key text,
	service_role_key text,
	jwt_secret text,
	rotated_at timestamptz,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT credentials_project_id_key UNIQUE (project_id)
);

COMMENT ON TABLE platform.credentials IS 'Per-project API keys and JWT secret. Secret: never granted to PUBLIC.';

CREATE TRIGGER update_credentials_updated_at
	BEFORE UPDATE ON platform.credentials
	FOR EACH ROW EXECUTE FUNCTION platform.update_updated_at_column();
