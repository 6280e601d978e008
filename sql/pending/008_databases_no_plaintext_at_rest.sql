-- 008_databases_no_plaintext_at_rest.sql  (PENDING: must not run yet)
--
-- The hardening of plan-review defect #5, moved out of 006 (decision 3): no
-- plaintext connection string or password at rest in platform.databases.
-- Lives in sql/pending/ so no runner or glob picks it up. It does not depend
-- on 007 and may run before or after it.
--
-- What it changes (a behaviour change for the application, on purpose):
--   * the trigger keeps only the ciphertext: whatever is written to
--     connection_string is encrypted into connection_string_encrypted and the
--     column is stored as NULL (it becomes write-only; a CHECK enforces it);
--     writing NULL keeps the stored ciphertext;
--   * the plaintext of the existing rows is removed (connection_string set to
--     NULL) after every row's ciphertext was proven to decrypt to it;
--   * the `password` column is dropped (its value is inside the connection
--     string, which stays encrypted).
-- After it, `SELECT *` returns connection_string NULL and no password column;
-- the only way to read a URL is platform.decrypt_database_connection_string.
--
-- THE APPLICATION CHANGE IT NEEDS FIRST (deployed and running before this file):
--   1. Every read of a connection URL goes through the decrypt function, e.g.
--        SELECT d.id, d.project_id, d.name, d.type,
--               platform.decrypt_database_connection_string(d.id) AS connection_string,
--               d.config, d.status
--          FROM platform.databases d WHERE d.id = $1 ...
--      (the Redis route, the MongoDB read and the project listing), instead of
--      reading the connection_string column (NULL after this file).
--   2. The create and update routes stop naming `password` (INSERT/UPDATE with
--      a password column fail once it is dropped); connection_string may still
--      be written, it is encrypted and not stored.
--   3. The role the application connects as has EXECUTE on
--      platform.decrypt_database_connection_string(uuid) (006 revokes it from
--      PUBLIC and grants it to nobody):
--        GRANT EXECUTE ON FUNCTION platform.decrypt_database_connection_string(uuid) TO <app role>;
--      and, when the rows use key_version 2, sets app.database_encryption_key in
--      its sessions.
-- The runbook's probe `probe.hardening.read-through-decrypt` (runbook/
-- migration-006.yaml) runs the new read as the application role and reports
-- whether the application can read through the function; this file's guard
-- checks the same privilege and refuses without it.
--
-- Residual plaintext: dumps, WAL and base backups taken before this file still
-- hold the plaintext URLs and passwords. Rotate those credentials after it.
--
-- Guard: the first statement raises, and the transaction changes nothing,
-- unless the session sets app.allow_hardening_008 = 'on' and names the
-- application role in app.hardening_008_app_role
-- (e.g. PGOPTIONS='-c app.allow_hardening_008=on -c app.hardening_008_app_role=app_user').
--
-- Transaction: no BEGIN/COMMIT here; run it with
-- `psql -X -v ON_ERROR_STOP=1 --single-transaction`.
-- Rollback: the URLs are still in the ciphertext; a rollback re-adds the
-- column and fills it from decrypt_database_connection_string. The passwords
-- are gone with the column (they are inside the URLs).

DO $$
DECLARE
	app_role text := nullif(current_setting('app.hardening_008_app_role', true), '');
	mismatched text;
BEGIN
	IF current_setting('app.allow_hardening_008', true) IS DISTINCT FROM 'on' THEN
		RAISE EXCEPTION 'migration 008 (no plaintext at rest) is pending and must not run: app.allow_hardening_008 is not on'
			USING HINT = 'Read the application change it needs first in sql/pending/008_databases_no_plaintext_at_rest.sql. When it is deployed, run it with app.allow_hardening_008 = on and app.hardening_008_app_role = <application role>.';
	END IF;
	IF app_role IS NULL THEN
		RAISE EXCEPTION 'migration 008 needs the application role: app.hardening_008_app_role is not set'
			USING HINT = 'Set app.hardening_008_app_role to the role the application connects as.';
	END IF;
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.rolname = app_role) THEN
		RAISE EXCEPTION 'migration 008: application role % does not exist', app_role;
	END IF;
	IF NOT pg_catalog.has_function_privilege(app_role, 'platform.decrypt_database_connection_string(uuid)', 'EXECUTE') THEN
		RAISE EXCEPTION 'migration 008: application role % cannot execute platform.decrypt_database_connection_string(uuid), so after this file it could not read any connection URL', app_role
			USING HINT = 'Deploy the application change in this file''s header first (reads through the decrypt function), then GRANT EXECUTE ON FUNCTION platform.decrypt_database_connection_string(uuid) TO the application role.';
	END IF;
	SELECT string_agg(d.name, ', ' ORDER BY d.name) INTO mismatched
	FROM platform.databases d
	WHERE d.connection_string IS NOT NULL
		AND d.connection_string IS DISTINCT FROM platform.decrypt_database_connection_string(d.id);
	IF mismatched IS NOT NULL THEN
		RAISE EXCEPTION 'migration 008: the encrypted copy of these rows does not decrypt to their connection_string: %', mismatched
			USING HINT = 'Removing the plaintext would lose these URLs. Write each row''s connection_string again (the trigger re-encrypts it), then retry.';
	END IF;
END
$$;

CREATE OR REPLACE FUNCTION platform.encrypt_database_connection_string()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	configured_key text := nullif(current_setting('app.database_encryption_key', true), '');
	plaintext text;
BEGIN
	IF NEW.connection_string IS NOT NULL THEN
		IF length(btrim(NEW.connection_string)) = 0 THEN
			RAISE EXCEPTION 'connection_string of database "%" is blank', NEW.name
				USING ERRCODE = 'check_violation', HINT = 'Give a full connection URL, or leave connection_string NULL to keep the stored one.';
		END IF;
		plaintext := NEW.connection_string;
	ELSIF TG_OP = 'UPDATE'
		AND NEW.project_id IS DISTINCT FROM OLD.project_id
		AND OLD.key_version = 1
		AND OLD.connection_string_encrypted IS NOT NULL
		AND NEW.connection_string_encrypted IS NOT DISTINCT FROM OLD.connection_string_encrypted THEN
		-- The derived key (version 1) depends on project_id: decrypt with the
		-- old project's key, re-encrypt below.
		plaintext := public.pgp_sym_decrypt(
			OLD.connection_string_encrypted,
			encode(sha256(convert_to(OLD.project_id::text || 'database_encryption_salt_v1', 'UTF8')), 'hex')
		);
	END IF;

	IF plaintext IS NOT NULL THEN
		IF configured_key IS NOT NULL THEN
			NEW.connection_string_encrypted := public.pgp_sym_encrypt(plaintext, configured_key);
			NEW.key_version := 2;
		ELSE
			NEW.connection_string_encrypted := public.pgp_sym_encrypt(
				plaintext,
				encode(sha256(convert_to(NEW.project_id::text || 'database_encryption_salt_v1', 'UTF8')), 'hex')
			);
			NEW.key_version := 1;
		END IF;
	END IF;

	-- Never persist the plaintext.
	NEW.connection_string := NULL;
	RETURN NEW;
END;
$$;

-- The trigger now clears the column on every write; NULL keeps the ciphertext.
UPDATE platform.databases SET connection_string = NULL WHERE connection_string IS NOT NULL;

ALTER TABLE platform.databases
	DROP COLUMN password RESTRICT,
	ADD CONSTRAINT databases_connection_string_not_persisted CHECK (connection_string IS NULL);

COMMENT ON TABLE platform.databases IS 'External databases (MongoDB, Redis, PostgreSQL) a project connects to. Connection strings are stored only encrypted; read them with platform.decrypt_database_connection_string.';
COMMENT ON COLUMN platform.databases.connection_string IS 'Write-only: the trigger encrypts what is written here into connection_string_encrypted and stores NULL.';
COMMENT ON FUNCTION platform.encrypt_database_connection_string() IS 'Trigger: encrypts connection_string into connection_string_encrypted, clears the plaintext, records key_version, re-encrypts when project_id changes.';
