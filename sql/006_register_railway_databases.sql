-- 006_register_railway_databases.sql  (migration 3 of 3, plan Step 3)
--
-- Registers the Railway MongoDB and Redis of project `lancio-studio` as
-- PLACEHOLDER rows: host, port, database, user name and client settings only.
--
-- Transaction: no BEGIN/COMMIT here. The runbook runs this file with
-- `psql -X -v ON_ERROR_STOP=1 --single-transaction` and writes its own ledger
-- row in the same transaction.
--
-- Decisions (PLAN-REVIEW decisions 2 and 6, defects #14, #15, #23):
--   * the project is looked up by ref `lancio-studio`, and the file fails
--     unless exactly one such project exists;
--   * the rows carry NO secret and NO connection string: no password, no URL.
--     The runbook registers the real values afterwards from the environment,
--     with query parameters (never interpolated), and only then sets
--     status = 'active';
--   * placeholders are status = 'inactive' (get_project_databases does not
--     return them) and health_check_status is NULL (no check has run).
--
-- Applying it twice: a no-op. Rows are inserted with
-- ON CONFLICT (project_id, name) DO NOTHING, so a second run prints
-- INSERT 0 0 and changes nothing (it never overwrites values the runbook
-- registered since).

DO $$
DECLARE
	matches integer;
BEGIN
	SELECT count(*) INTO matches FROM platform.projects WHERE ref = 'lancio-studio';
	IF matches <> 1 THEN
		RAISE EXCEPTION 'expected exactly one project with ref lancio-studio, found %', matches
			USING HINT = 'Migration 004_create_lancio_org.sql creates it: check that 004 was applied to this database (SELECT id, name, ref FROM platform.projects WHERE ref = ''lancio-studio'').';
	END IF;
END
$$;

INSERT INTO platform.databases (project_id, name, type, host, port, database, username, ssl_enabled, config, metadata, status, health_check_status)
SELECT p.id, v.name, v.type, v.host, v.port, v.database, v.username, false, v.config,
	jsonb_build_object(
		'provider', 'railway',
		'environment', 'production',
		'region', nullif(current_setting('app.railway_region', true), ''),
		'registered_by', '006_register_railway_databases.sql',
		'registered_at', now()
	),
	'inactive', NULL
FROM platform.projects p
CROSS JOIN (VALUES
	('Railway MongoDB', 'mongodb', 'mongodb.railway.internal', 27017, 'lancio', 'mongo',
		jsonb_build_object('authSource', 'admin', 'replicaSet', NULL, 'minPoolSize', 2, 'maxPoolSize', 10, 'serverSelectionTimeoutMS', 5000, 'retryWrites', true)),
	('Railway Redis', 'redis', 'redis.railway.internal', 6379, '0', 'default',
		jsonb_build_object('db', 0, 'keyPrefix', 'studio:', 'connectTimeout', 10000, 'retryStrategy', 'exponential'))
) AS v(name, type, host, port, database, username, config)
WHERE p.ref = 'lancio-studio'
ORDER BY v.type
ON CONFLICT (project_id, name) DO NOTHING;
