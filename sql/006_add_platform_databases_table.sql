-- 006_add_platform_databases_table.sql  (migration 1 of 3, plan Step 1)
--
-- Creates platform.databases (connection settings of the MongoDB, Redis and
-- PostgreSQL databases a project uses), its 8 indexes (primary key, the
-- unique (project_id, name) and 6 named),
-- 4 functions, 2 triggers and 2 views.
--
-- Transaction: no BEGIN/COMMIT here. The runbook runs this file with
-- `psql -X -v ON_ERROR_STOP=1 --single-transaction` and writes its own ledger
-- row in the same transaction, so the file applies entirely or not at all.
--
-- Applying it twice: a clean error, nothing changed. CREATE TABLE has no
-- IF NOT EXISTS (PLAN-REVIEW #24: it would hide a table of another shape), so
-- a second run stops at "relation "databases" already exists" and the
-- transaction rolls back.
--
-- The application's contract (CUSTOMER-DATABASE.md, PLAN-REVIEW decision 3):
-- the customer's application inserts and updates rows naming the `password`
-- column and reads `connection_string` as the URL it connects to (SELECT *,
-- and the MongoDB read). Both columns stay, as in the original, so every
-- statement of the application works on this table exactly as on the
-- customer's own 006 ("zero behaviour change"). The application still stores
-- PLAINTEXT at rest in `connection_string` and `password` (and so in dumps,
-- WAL and any log of the statement): encryption into
-- connection_string_encrypted happens next to it, not instead of it. Removing
-- the plaintext (plan-review defect #5) is the pending migration
-- sql/pending/008_databases_no_plaintext_at_rest.sql, which needs an
-- application change first (see its header).
--
-- Changes from the original (PLAN-REVIEW §1.2, decisions 3 and 6):
--   * `connection_string` is nullable (the placeholder rows of Step 3 carry no
--     URL until the runbook registers the real one); blank is refused;
--     the trigger encrypts every new or changed value into
--     connection_string_encrypted and keeps the column as written;
--   * key: current_setting('app.database_encryption_key', true) when set
--     (key_version 2); otherwise the plan's derived key, hex SHA-256 of
--     project_id || 'database_encryption_salt_v1' (key_version 1), which the
--     pre-flight reports as weak. key_version records which key encrypted the
--     row; re-encrypts when project_id changes;
--   * UNIQUE (project_id, name) (constraint databases_project_id_name_key).
--     Its index takes the place of the original's idx_databases_project_id,
--     which was redundant (project_id also leads idx_databases_project_type_status
--     and now the unique key), so the plan's own pg_indexes query lists exactly
--     8: databases_pkey, databases_project_id_name_key and 6 idx_databases_*;
--   * decrypt_database_connection_string is SECURITY DEFINER with
--     search_path pinned to pg_catalog, pg_temp, schema-qualified calls, and
--     EXECUTE revoked from PUBLIC; grant it to the one service role that needs
--     it, outside this file (no role name is assumed here);
--   * both views are security_invoker (RLS and grants of the caller apply);
--     neither shows `password` or the plaintext `connection_string`:
--     databases_safe has no secret at all (no password, connection_string,
--     ciphertext, username or health_check_error), the full view shows the
--     URL only through decrypt_database_connection_string; nothing is
--     granted to PUBLIC.
--
-- pgcrypto: created by 003 in schema `public`; this file only makes sure it
-- exists and refuses to continue if it lives elsewhere, because the functions
-- call public.pgp_sym_encrypt / public.pgp_sym_decrypt by qualified name.

CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA public;

DO $$
BEGIN
	IF (SELECT n.nspname FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pgcrypto') IS DISTINCT FROM 'public' THEN
		RAISE EXCEPTION 'pgcrypto is installed outside schema public'
			USING HINT = 'This migration calls public.pgp_sym_encrypt and public.pgp_sym_decrypt. Install pgcrypto in schema public, or adapt the qualified names in 006_add_platform_databases_table.sql to its schema.';
	END IF;
END
$$;

CREATE TABLE platform.databases (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	project_id uuid NOT NULL REFERENCES platform.projects (id) ON DELETE CASCADE,
	name text NOT NULL,
	type text NOT NULL,
	host text NOT NULL,
	port integer NOT NULL,
	database text,
	username text,
	password text,
	connection_string text,
	connection_string_encrypted bytea,
	key_version smallint,
	ssl_enabled boolean DEFAULT false,
	config jsonb DEFAULT '{}'::jsonb,
	metadata jsonb DEFAULT '{}'::jsonb,
	status text NOT NULL DEFAULT 'active',
	health_check_status text,
	last_health_check_at timestamptz,
	health_check_error text,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT databases_name_not_empty CHECK (length(btrim(name)) > 0),
	CONSTRAINT databases_type_check CHECK (type IN ('mongodb', 'redis', 'postgresql')),
	CONSTRAINT databases_host_not_empty CHECK (length(btrim(host)) > 0),
	CONSTRAINT databases_port_check CHECK (port > 0 AND port < 65536),
	CONSTRAINT databases_status_check CHECK (status IN ('active', 'inactive', 'error', 'maintenance')),
	CONSTRAINT databases_health_check_status_check CHECK (health_check_status IN ('healthy', 'unhealthy', 'unknown')),
	CONSTRAINT databases_key_version_check CHECK (
		(connection_string_encrypted IS NULL AND key_version IS NULL)
		OR (connection_string_encrypted IS NOT NULL AND key_version IN (1, 2))
	),
	CONSTRAINT databases_project_id_name_key UNIQUE (project_id, name)
);

CREATE INDEX idx_databases_type ON platform.databases (type);
CREATE INDEX idx_databases_status ON platform.databases (status);
CREATE INDEX idx_databases_project_type_status ON platform.databases (project_id, type, status);
CREATE INDEX idx_databases_health_check ON platform.databases (health_check_status, last_health_check_at) WHERE health_check_status IS NOT NULL;
CREATE INDEX idx_databases_created_at ON platform.databases (created_at DESC);
CREATE INDEX idx_databases_updated_at ON platform.databases (updated_at DESC);

-- 1. The encryption trigger function (runs with the writer's rights).
-- Encrypts on INSERT, when connection_string changes, when the encrypted
-- copy is NULL (a writer sets it to NULL to force re-encryption), and when
-- project_id changes under the derived key (version 1 depends on
-- project_id). The plaintext column is kept as written: the application
-- reads it.
CREATE FUNCTION platform.encrypt_database_connection_string()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	configured_key text := nullif(current_setting('app.database_encryption_key', true), '');
BEGIN
	IF NEW.connection_string IS NOT NULL AND length(btrim(NEW.connection_string)) = 0 THEN
		RAISE EXCEPTION 'connection_string of database "%" is blank', NEW.name
			USING ERRCODE = 'check_violation', HINT = 'Give a full connection URL, or NULL for none.';
	END IF;

	IF TG_OP = 'UPDATE'
		AND NEW.connection_string IS NOT DISTINCT FROM OLD.connection_string
		AND NEW.connection_string_encrypted IS NOT NULL
		AND NOT (NEW.project_id IS DISTINCT FROM OLD.project_id AND OLD.key_version = 1) THEN
		RETURN NEW;
	END IF;

	IF NEW.connection_string IS NULL THEN
		NEW.connection_string_encrypted := NULL;
		NEW.key_version := NULL;
	ELSIF configured_key IS NOT NULL THEN
		NEW.connection_string_encrypted := public.pgp_sym_encrypt(NEW.connection_string, configured_key);
		NEW.key_version := 2;
	ELSE
		NEW.connection_string_encrypted := public.pgp_sym_encrypt(
			NEW.connection_string,
			encode(sha256(convert_to(NEW.project_id::text || 'database_encryption_salt_v1', 'UTF8')), 'hex')
		);
		NEW.key_version := 1;
	END IF;
	RETURN NEW;
END;
$$;

-- 2. Decryption: SECURITY DEFINER, pinned search_path, not executable by PUBLIC.
CREATE FUNCTION platform.decrypt_database_connection_string(p_database_id uuid)
RETURNS text
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	row_record record;
	configured_key text := nullif(current_setting('app.database_encryption_key', true), '');
BEGIN
	SELECT d.project_id, d.connection_string_encrypted, d.key_version
	INTO row_record
	FROM platform.databases d
	WHERE d.id = p_database_id;

	IF NOT FOUND OR row_record.connection_string_encrypted IS NULL THEN
		RETURN NULL;
	END IF;

	IF row_record.key_version = 2 THEN
		IF configured_key IS NULL THEN
			RAISE EXCEPTION 'database % was encrypted with app.database_encryption_key, which is not set in this session', p_database_id
				USING HINT = 'Set app.database_encryption_key (for example with set_config(''app.database_encryption_key'', $1, true)) before decrypting.';
		END IF;
		RETURN public.pgp_sym_decrypt(row_record.connection_string_encrypted, configured_key);
	END IF;

	RETURN public.pgp_sym_decrypt(
		row_record.connection_string_encrypted,
		encode(sha256(convert_to(row_record.project_id::text || 'database_encryption_salt_v1', 'UTF8')), 'hex')
	);
END;
$$;

REVOKE ALL ON FUNCTION platform.decrypt_database_connection_string(uuid) FROM PUBLIC;

-- 3. A project's databases without credentials (runs with the caller's rights).
CREATE FUNCTION platform.get_project_databases(p_project_id uuid, p_type text DEFAULT NULL)
RETURNS TABLE (
	id uuid,
	project_id uuid,
	name text,
	type text,
	host text,
	port integer,
	database text,
	ssl_enabled boolean,
	config jsonb,
	status text,
	health_check_status text,
	last_health_check_at timestamptz,
	created_at timestamptz,
	updated_at timestamptz
)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	RETURN QUERY
	SELECT d.id, d.project_id, d.name, d.type, d.host, d.port, d.database, d.ssl_enabled, d.config,
		d.status, d.health_check_status, d.last_health_check_at, d.created_at, d.updated_at
	FROM platform.databases d
	WHERE d.project_id = p_project_id
		AND (p_type IS NULL OR d.type = p_type)
		AND d.status <> 'inactive'
	ORDER BY d.created_at DESC;
END;
$$;

-- 4. Records the result of a real health check (runs with the caller's rights).
CREATE FUNCTION platform.update_database_health(p_database_id uuid, p_health_status text, p_error_message text DEFAULT NULL)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	UPDATE platform.databases d
	SET health_check_status = p_health_status,
		last_health_check_at = now(),
		health_check_error = p_error_message,
		updated_at = now()
	WHERE d.id = p_database_id;
	RETURN FOUND;
END;
$$;

-- Triggers fire in name order: encrypt_… before update_….
CREATE TRIGGER encrypt_database_connection_string_trigger
	BEFORE INSERT OR UPDATE ON platform.databases
	FOR EACH ROW EXECUTE FUNCTION platform.encrypt_database_connection_string();

CREATE TRIGGER update_databases_updated_at
	BEFORE UPDATE ON platform.databases
	FOR EACH ROW EXECUTE FUNCTION platform.update_updated_at_column();

CREATE VIEW platform.databases_safe WITH (security_invoker = true) AS
SELECT d.id, d.project_id, d.name, d.type, d.host, d.port, d.database, d.ssl_enabled, d.config, d.metadata,
	d.status, d.health_check_status, d.last_health_check_at, d.key_version, d.created_at, d.updated_at,
	d.type || '://' || d.host || ':' || d.port AS connection_string_masked
FROM platform.databases d;

CREATE VIEW platform.databases_with_connection_strings WITH (security_invoker = true) AS
SELECT d.id, d.project_id, d.name, d.type, d.host, d.port, d.database, d.username, d.ssl_enabled, d.config, d.metadata,
	d.status, d.health_check_status, d.last_health_check_at, d.health_check_error, d.key_version, d.created_at, d.updated_at,
	platform.decrypt_database_connection_string(d.id) AS connection_string_decrypted
FROM platform.databases d;

REVOKE ALL ON platform.databases_with_connection_strings FROM PUBLIC;
REVOKE ALL ON platform.databases_safe FROM PUBLIC;
REVOKE ALL ON platform.databases FROM PUBLIC;

COMMENT ON TABLE platform.databases IS 'External databases (MongoDB, Redis, PostgreSQL) a project connects to. connection_string and password are kept in plaintext for the application (it reads and writes them); connection_string is also encrypted into connection_string_encrypted. Removing the plaintext is the pending migration sql/pending/008_databases_no_plaintext_at_rest.sql.';
COMMENT ON COLUMN platform.databases.id IS 'Primary key.';
COMMENT ON COLUMN platform.databases.project_id IS 'Owning project; rows are deleted with it.';
COMMENT ON COLUMN platform.databases.name IS 'Display name, unique per project.';
COMMENT ON COLUMN platform.databases.type IS 'mongodb, redis or postgresql.';
COMMENT ON COLUMN platform.databases.host IS 'Host name, without port.';
COMMENT ON COLUMN platform.databases.port IS 'TCP port, 1-65535.';
COMMENT ON COLUMN platform.databases.database IS 'Database name (Redis: the database number as text).';
COMMENT ON COLUMN platform.databases.username IS 'User name for the connection (not a secret, but kept out of databases_safe).';
COMMENT ON COLUMN platform.databases.password IS 'PLAINTEXT password as the application writes it (create and update routes); kept for the application contract, dropped by the pending hardening migration.';
COMMENT ON COLUMN platform.databases.connection_string IS 'PLAINTEXT connection URL the application connects with (SELECT *, the MongoDB read); the trigger keeps an encrypted copy in connection_string_encrypted.';
COMMENT ON COLUMN platform.databases.connection_string_encrypted IS 'pgp_sym_encrypt of the connection string; see key_version.';
COMMENT ON COLUMN platform.databases.key_version IS '1: the plan''s derived per-project key (weak); 2: app.database_encryption_key. NULL when nothing is encrypted.';
COMMENT ON COLUMN platform.databases.ssl_enabled IS 'Whether the client connects with TLS.';
COMMENT ON COLUMN platform.databases.config IS 'Type-specific client settings (pool sizes, timeouts, key prefix).';
COMMENT ON COLUMN platform.databases.metadata IS 'Provider, environment, region and registration details.';
COMMENT ON COLUMN platform.databases.status IS 'active, inactive (placeholder or disabled), error or maintenance.';
COMMENT ON COLUMN platform.databases.health_check_status IS 'Result of the last real health check; NULL until one has run.';
COMMENT ON COLUMN platform.databases.last_health_check_at IS 'When the last health check ran.';
COMMENT ON COLUMN platform.databases.health_check_error IS 'Error of the last failed health check (may name hosts; kept out of databases_safe).';
COMMENT ON COLUMN platform.databases.created_at IS 'Row creation time.';
COMMENT ON COLUMN platform.databases.updated_at IS 'Last update time (trigger update_databases_updated_at).';
COMMENT ON FUNCTION platform.encrypt_database_connection_string() IS 'Trigger: encrypts connection_string into connection_string_encrypted (the plaintext column is kept for the application), records key_version, re-encrypts when project_id changes.';
COMMENT ON FUNCTION platform.decrypt_database_connection_string(uuid) IS 'Returns the decrypted connection string, or NULL if the row or ciphertext is missing. SECURITY DEFINER; not executable by PUBLIC.';
COMMENT ON FUNCTION platform.get_project_databases(uuid, text) IS 'A project''s non-inactive databases, newest first, without credentials.';
COMMENT ON FUNCTION platform.update_database_health(uuid, text, text) IS 'Records a health check result; returns whether the row exists.';
COMMENT ON VIEW platform.databases_safe IS 'platform.databases without secrets or error text, plus connection_string_masked (type://host:port).';
COMMENT ON VIEW platform.databases_with_connection_strings IS 'platform.databases with the decrypted connection string; needs EXECUTE on decrypt_database_connection_string.';
