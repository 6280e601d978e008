-- 001_create_platform_schema.sql
--
-- Prerequisite of migration 006, rebuilt from the facts of the customer's
-- real pre-006 database (shared CUSTOMER-DATABASE.md): the `platform` schema,
-- the extension uuid-ossp in schema `public` (pgcrypto comes in 003), organizations,
-- projects, credentials, the shared trigger function
-- platform.update_updated_at_column(), the lookup functions of the first
-- release and the two views that existed when only these three tables did.
--
-- Transaction: this file contains no BEGIN/COMMIT. The runner applies it with
-- `psql -X -v ON_ERROR_STOP=1 --single-transaction`, so it applies entirely
-- or not at all.
--
-- Grants: the customer's database grants SELECT to PUBLIC on organizations,
-- projects, credentials, projects_with_credentials and
-- organizations_with_stats (PLAN-REVIEW defect #12: credentials and the
-- project's database password are readable by anyone who can reach the
-- schema). We reproduce that state, because the runbook must work on the
-- database as it is; the report and the pre-flight name it. No literal
-- secret appears in any migration file.

CREATE EXTENSION IF NOT EXISTS "uuid-ossp" WITH SCHEMA public;

CREATE SCHEMA platform;

COMMENT ON SCHEMA platform IS 'Platform metadata: organizations, projects, billing, users and audit.';

-- BEFORE UPDATE trigger function. With no argument it sets updated_at; with
-- one argument it sets the timestamp column of that name (user_sessions has
-- last_activity_at and no updated_at).
CREATE FUNCTION platform.update_updated_at_column()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF TG_NARGS = 0 THEN
		NEW.updated_at := now();
	ELSE
		NEW := jsonb_populate_record(NEW, jsonb_build_object(TG_ARGV[0], now()));
	END IF;
	RETURN NEW;
END;
$$;

COMMENT ON FUNCTION platform.update_updated_at_column() IS 'BEFORE UPDATE trigger function: sets updated_at (or the column named by the trigger argument) to now().';

CREATE FUNCTION platform.generate_slug(input_text text)
RETURNS text
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT btrim(regexp_replace(lower(coalesce(input_text, '')), '[^a-z0-9]+', '-', 'g'), '-');
$$;

COMMENT ON FUNCTION platform.generate_slug(text) IS 'Lower-case, dash-separated slug of a name.';

CREATE TABLE platform.organizations (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	name text NOT NULL,
	slug text NOT NULL,
	billing_email text,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT organizations_slug_key UNIQUE (slug),
	CONSTRAINT organizations_name_not_blank CHECK (length(btrim(name)) > 0)
);

COMMENT ON TABLE platform.organizations IS 'Tenants of the platform.';

CREATE TRIGGER update_organizations_updated_at
	BEFORE UPDATE ON platform.organizations
	FOR EACH ROW EXECUTE FUNCTION platform.update_updated_at_column();

CREATE TABLE platform.projects (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	organization_id uuid NOT NULL REFERENCES platform.organizations (id) ON DELETE CASCADE,
	name text NOT NULL,
	slug text NOT NULL,
	ref text NOT NULL,
	database_host text NOT NULL,
	database_port integer NOT NULL DEFAULT 5432,
	database_name text NOT NULL DEFAULT 'postgres',
	database_user text NOT NULL DEFAULT 'postgres',
	database_password text NOT NULL,
	postgres_meta_url text NOT NULL,
	supabase_url text NOT NULL,
	status text NOT NULL DEFAULT 'ACTIVE_HEALTHY',
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	instance_size text,
	disk_size_gb integer,
	disk_io_budget integer,
	CONSTRAINT projects_ref_key UNIQUE (ref),
	CONSTRAINT projects_organization_slug_key UNIQUE (organization_id, slug),
	CONSTRAINT projects_database_port_range CHECK (database_port > 0 AND database_port < 65536)
);

CREATE INDEX idx_projects_organization_id ON platform.projects (organization_id);

COMMENT ON TABLE platform.projects IS 'Projects of an organization, with the connection details of their database.';
COMMENT ON COLUMN platform.projects.database_password IS 'Plaintext in the customer''s schema (PLAN-REVIEW #12); readable by PUBLIC through the grant below.';

CREATE TRIGGER update_projects_updated_at
	BEFORE UPDATE ON platform.projects
	FOR EACH ROW EXECUTE FUNCTION platform.update_updated_at_column();

CREATE TABLE platform.credentials (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	project_id uuid NOT NULL REFERENCES platform.projects (id) ON DELETE CASCADE,
	anon_key text NOT NULL,
	service_role_key text NOT NULL,
	jwt_secret text NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT credentials_project_id_key UNIQUE (project_id)
);

COMMENT ON TABLE platform.credentials IS 'Per-project API keys and JWT secret.';

CREATE TRIGGER update_credentials_updated_at
	BEFORE UPDATE ON platform.credentials
	FOR EACH ROW EXECUTE FUNCTION platform.update_updated_at_column();

CREATE FUNCTION platform.get_organization_by_slug(org_slug text)
RETURNS SETOF platform.organizations
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT * FROM platform.organizations WHERE slug = org_slug;
$$;

CREATE FUNCTION platform.get_project_by_ref(project_ref text)
RETURNS SETOF platform.projects
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT * FROM platform.projects WHERE ref = project_ref;
$$;

CREATE FUNCTION platform.get_credentials_by_project_ref(project_ref text)
RETURNS SETOF platform.credentials
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT c.* FROM platform.credentials c JOIN platform.projects p ON p.id = c.project_id WHERE p.ref = project_ref;
$$;

CREATE VIEW platform.projects_with_credentials AS
SELECT p.id, p.organization_id, p.name, p.slug, p.ref, p.database_host, p.database_port, p.database_name,
	p.database_user, p.database_password, p.postgres_meta_url, p.supabase_url, p.status, p.created_at, p.updated_at,
	c.anon_key, c.service_role_key, c.jwt_secret
FROM platform.projects p
LEFT JOIN platform.credentials c ON c.project_id = p.id;

CREATE VIEW platform.organizations_with_stats AS
SELECT o.id, o.name, o.slug, o.billing_email, o.created_at, o.updated_at,
	(SELECT count(*) FROM platform.projects p WHERE p.organization_id = o.id) AS project_count
FROM platform.organizations o;

GRANT SELECT ON platform.organizations, platform.projects, platform.credentials,
	platform.projects_with_credentials, platform.organizations_with_stats TO PUBLIC;
