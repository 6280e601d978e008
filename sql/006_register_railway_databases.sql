-- 006_register_railway_databases.sql  (migration 3 of 3, plan Step 3)
--
-- Registers the Railway MongoDB and Redis of ONE project as PLACEHOLDER rows:
-- host, port, database, user name and client settings only.
--
-- Which project (PLAN-REVIEW decision 2): the runbook resolves it before any
-- migration — by default the single project of the organization with slug
-- `lancio` (as the customer's own file chooses it), or the one named with
-- --project-ref / the plan's project.ref — and passes its ref as the psql
-- variable `project_ref`. Run by hand, give it the same way:
--   psql -v project_ref=blackwhale-prod -f 006_register_railway_databases.sql
-- Without the variable the file applies the default rule itself. Either way
-- it fails, naming every candidate, unless exactly one project matches: it
-- never guesses (the customer's file takes `LIMIT 1` with no ORDER BY).
--
-- Transaction: no BEGIN/COMMIT here. The runbook runs this file with
-- `psql -X -v ON_ERROR_STOP=1 --single-transaction` and writes its own ledger
-- row in the same transaction.
--
-- Decisions (PLAN-REVIEW decisions 2 and 6, defects #14, #15, #23):
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

\if :{?project_ref}
SELECT set_config('runbook.project_ref', :'project_ref', true) AS project_ref \gset
\else
SELECT set_config('runbook.project_ref', '', true) AS project_ref \gset
\endif

CREATE TEMP TABLE registration_project ON COMMIT DROP AS
SELECT p.id, p.name, p.ref
FROM platform.projects p
JOIN platform.organizations o ON o.id = p.organization_id
WHERE CASE WHEN current_setting('runbook.project_ref') <> '' THEN p.ref = current_setting('runbook.project_ref') ELSE o.slug = 'lancio' END;

DO $$
DECLARE
	matches integer;
	candidates text;
	wanted text := current_setting('runbook.project_ref');
BEGIN
	SELECT count(*), string_agg(format('%s (%s)', name, ref), ', ' ORDER BY ref) INTO matches, candidates FROM registration_project;
	IF matches <> 1 THEN
		RAISE EXCEPTION '%', CASE WHEN wanted <> ''
				THEN format('expected exactly one project with ref %s, found %s', wanted, matches)
				ELSE format('expected exactly one project in organization lancio, found %s%s', matches, coalesce(': ' || candidates, ''))
			END
			USING HINT = 'Name the project with psql -v project_ref=REF (the runbook: --project-ref REF); SELECT p.name, p.ref, o.slug FROM platform.projects p JOIN platform.organizations o ON o.id = p.organization_id lists them.';
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
FROM registration_project p
CROSS JOIN (VALUES
	('Railway MongoDB', 'mongodb', 'mongodb.railway.internal', 27017, 'lancio', 'mongo',
		jsonb_build_object('authSource', 'admin', 'replicaSet', NULL, 'minPoolSize', 2, 'maxPoolSize', 10, 'serverSelectionTimeoutMS', 5000, 'retryWrites', true)),
	('Railway Redis', 'redis', 'redis.railway.internal', 6379, '0', 'default',
		jsonb_build_object('db', 0, 'keyPrefix', 'studio:', 'connectTimeout', 10000, 'retryStrategy', 'exponential'))
) AS v(name, type, host, port, database, username, config)
ORDER BY v.type
ON CONFLICT (project_id, name) DO NOTHING;
