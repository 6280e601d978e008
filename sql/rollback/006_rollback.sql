-- 006_rollback.sql  (rollback step 1: undoes 006_enable_rls_with_permissive_policies.sql)
--
-- Undoes exactly the tables that 006 changed: 006 marks each policy it
-- creates with the comment `runbook:006_enable_rls_with_permissive_policies`;
-- for every platform table that holds such a policy, this file drops the
-- policy and disables row level security (after the customer's own 006,
-- which marks nothing, its permissive_all_<table> policies count as 006's). Tables 006 did not change (RLS
-- enabled before 006, or created after it) are left as they are. Then it
-- drops platform.verify_rls_enabled() and platform.test_rls_policies(). Run
-- it BEFORE rollback-006.sql.
--
-- Transaction: no BEGIN/COMMIT here. Run it with
-- `psql -X -v ON_ERROR_STOP=1 --single-transaction`: it undoes everything or
-- nothing. Functions are dropped with RESTRICT, so an unexpected dependent
-- object makes it fail instead of silently disappearing. psql prints one DROP
-- POLICY and one ALTER TABLE tag per table it undoes.
--
-- Guard: the file refuses to run while a table that 006 changed carries any
-- policy besides 006's own, or while none of 006's policies is left but
-- others are (007 replaces them), because disabling RLS there would undo
-- something that is not 006's. Roll that back first.
--
-- platform.databases may already be gone if rollback-006.sql ran first: only
-- tables that still exist are listed, so that is fine.

-- The policies 006 created: marked by their comment; on a database where the
-- customer's own 006 ran (it marks nothing), its permissive_all_<table> names.
CREATE TEMP TABLE rollback_006_policies ON COMMIT DROP AS
SELECT p.oid AS policy, p.polname, c.oid AS rel, c.relname
FROM pg_catalog.pg_policy p
JOIN pg_catalog.pg_class c ON c.oid = p.polrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'platform'
	AND (pg_catalog.obj_description(p.oid, 'pg_policy') = 'runbook:006_enable_rls_with_permissive_policies'
		OR (p.polname = 'permissive_all_' || c.relname AND NOT EXISTS (
			SELECT 1 FROM pg_catalog.pg_policy m WHERE pg_catalog.obj_description(m.oid, 'pg_policy') = 'runbook:006_enable_rls_with_permissive_policies')));

DO $$
DECLARE
	foreign_policies text;
BEGIN
	SELECT string_agg(format('%s on platform.%s', p.polname, c.relname), ', ' ORDER BY c.relname, p.polname)
	INTO foreign_policies
	FROM pg_catalog.pg_policy p
	JOIN pg_catalog.pg_class c ON c.oid = p.polrelid
	JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
	WHERE n.nspname = 'platform' AND p.oid NOT IN (SELECT policy FROM rollback_006_policies)
		-- on a table 006 changed, or anywhere when none of 006's policies is left (a later migration replaced them)
		AND (c.oid IN (SELECT rel FROM rollback_006_policies) OR NOT EXISTS (SELECT 1 FROM rollback_006_policies));
	IF foreign_policies IS NOT NULL THEN
		RAISE EXCEPTION '006_rollback found policies that migration 006 did not create: %', foreign_policies
			USING HINT = 'Another migration (007?) changed row level security after 006. Roll that migration back first, then run 006_rollback again.';
	END IF;
END
$$;

SELECT format('DROP POLICY %I ON platform.%I', polname, relname), format('ALTER TABLE platform.%I DISABLE ROW LEVEL SECURITY', relname)
FROM rollback_006_policies
ORDER BY relname
\gexec

DROP FUNCTION platform.test_rls_policies() RESTRICT;
DROP FUNCTION platform.verify_rls_enabled() RESTRICT;
