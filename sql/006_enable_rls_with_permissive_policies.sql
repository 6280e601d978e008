-- 006_enable_rls_with_permissive_policies.sql  (migration 2 of 3, plan Step 2)
--
-- Enables row level security on EVERY base table of schema platform that the
-- catalog holds when it runs (the customer's 25, platform.databases from
-- migration 1, and any table added since: 26 on the customer's database; the
-- plan says "24+"), each with one permissive allow-all policy named
-- permissive_all_<table>, so behaviour does not change (decision 1). Adds
-- platform.verify_rls_enabled() and platform.test_rls_policies().
--
-- Transaction: no BEGIN/COMMIT here. The runbook runs this file with
-- `psql -X -v ON_ERROR_STOP=1 --single-transaction` (plus its lock_timeout,
-- retries and its own ledger row in the same transaction). This file does not
-- SET lock_timeout itself, so the runbook's setting stands.
--
-- How: one catalog query lists the tables and psql's \gexec runs, for each
-- table in name order, its CREATE POLICY and then its ALTER TABLE … ENABLE
-- ROW LEVEL SECURITY (PLAN-REVIEW defect #10: the policy exists before RLS
-- does, so there is never a moment where a table has RLS and no policy).
-- psql prints one CREATE POLICY and one ALTER TABLE tag per table, then
-- CREATE FUNCTION twice and DO once (the final self-check).
--
-- What 006 changed is recorded in the catalog: each policy it creates carries
-- the comment `runbook:006_enable_rls_with_permissive_policies`, and
-- 006_rollback.sql undoes exactly the tables whose policy has it. A table
-- whose RLS was already enabled before 006 is left alone (an allow-all
-- policy there would widen access); the self-check below then judges it like
-- every other table.
--
-- FORCE ROW LEVEL SECURITY: deliberately NOT set. Table owners keep bypassing
-- RLS, as before. With allow-all policies FORCE would change nothing today,
-- but it would make 007 bite at once for an application that connects as the
-- owner (PLAN-REVIEW #11). RLS is meant for the dedicated, non-owner
-- application role that 007 requires; 006_rollback therefore only has to
-- disable RLS.
--
-- Applying it twice: a clean error, nothing changed. The second run finds RLS
-- already enabled everywhere, so it creates no policy, and then stops at
-- `function "verify_rls_enabled" already exists`; the transaction rolls back.
-- The runbook's ledger refuses a second apply before that.

SELECT format('CREATE POLICY %I ON %I.%I AS PERMISSIVE FOR ALL TO PUBLIC USING (true) WITH CHECK (true)', 'permissive_all_' || c.relname, n.nspname, c.relname),
	format('COMMENT ON POLICY %I ON %I.%I IS %L', 'permissive_all_' || c.relname, n.nspname, c.relname, 'runbook:006_enable_rls_with_permissive_policies'),
	format('ALTER TABLE %I.%I ENABLE ROW LEVEL SECURITY', n.nspname, c.relname)
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'platform' AND c.relkind IN ('r', 'p') AND NOT c.relrowsecurity
ORDER BY c.relname
\gexec

CREATE FUNCTION platform.verify_rls_enabled()
RETURNS TABLE (table_name text, rls_enabled boolean, policy_count bigint)
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT c.relname::text, c.relrowsecurity, count(p.oid)
	FROM pg_catalog.pg_class c
	JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
	LEFT JOIN pg_catalog.pg_policy p ON p.polrelid = c.oid
	WHERE n.nspname = 'platform' AND c.relkind IN ('r', 'p')
	GROUP BY c.relname, c.relrowsecurity
	ORDER BY c.relname;
$$;

COMMENT ON FUNCTION platform.verify_rls_enabled() IS 'One row per base table of schema platform: whether RLS is enabled and how many policies it has.';

-- Expectations come from the catalog: every platform base table must have RLS
-- and at least one policy; the plan's "24+" is shown beside the measured
-- numbers. The checks read only the catalog, so they give the same answer for
-- every role and on empty tables.
CREATE FUNCTION platform.test_rls_policies()
RETURNS TABLE (test_name text, test_result boolean, description text)
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
	WITH t AS (
		SELECT c.oid, c.relname, c.relrowsecurity,
			(SELECT count(*) FROM pg_catalog.pg_policy p WHERE p.polrelid = c.oid) AS policies,
			EXISTS (
				SELECT 1 FROM pg_catalog.pg_policy p
				WHERE p.polrelid = c.oid AND p.polpermissive AND p.polcmd = '*'
					AND p.polroles = ARRAY[0::oid]
					AND pg_catalog.pg_get_expr(p.polqual, p.polrelid) = 'true'
					AND pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid) = 'true'
			) AS allow_all,
			-- RLS and policies of its own before 006, so 006 left it as it was (its policies carry no 006 mark)
			c.relrowsecurity AND NOT EXISTS (
				SELECT 1 FROM pg_catalog.pg_policy p
				WHERE p.polrelid = c.oid AND pg_catalog.obj_description(p.oid, 'pg_policy') = 'runbook:006_enable_rls_with_permissive_policies'
			) AND EXISTS (SELECT 1 FROM pg_catalog.pg_policy p WHERE p.polrelid = c.oid) AS own_policies
		FROM pg_catalog.pg_class c
		JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = 'platform' AND c.relkind IN ('r', 'p')
	), s AS (
		SELECT count(*) AS tables,
			count(*) FILTER (WHERE relrowsecurity) AS rls_tables,
			count(*) FILTER (WHERE policies > 0) AS tables_with_policy,
			count(*) FILTER (WHERE allow_all) AS allow_all_tables,
			count(*) FILTER (WHERE own_policies AND NOT allow_all) AS kept_tables,
			coalesce(sum(policies), 0) AS policies,
			coalesce(string_agg(relname, ', ' ORDER BY relname) FILTER (WHERE NOT relrowsecurity), '') AS without_rls,
			coalesce(string_agg(relname, ', ' ORDER BY relname) FILTER (WHERE policies = 0), '') AS without_policy
		FROM t
	)
	SELECT v.test_name, v.test_result, v.description
	FROM s, LATERAL (VALUES
		(1, 'rls_enabled_on_every_table', s.tables > 0 AND s.rls_tables = s.tables,
			format('%s of %s platform tables have row level security enabled%s', s.rls_tables, s.tables,
				CASE WHEN s.without_rls <> '' THEN '; missing: ' || s.without_rls ELSE '' END)),
		(2, 'policy_on_every_table', s.tables > 0 AND s.tables_with_policy = s.tables,
			format('%s of %s platform tables have at least one policy%s', s.tables_with_policy, s.tables,
				CASE WHEN s.without_policy <> '' THEN '; missing: ' || s.without_policy ELSE '' END)),
		(3, 'rls_table_count', s.rls_tables >= 24,
			format('%s tables have row level security (plan: 24+)', s.rls_tables)),
		(4, 'policy_count', s.policies >= 24,
			format('%s policies in schema platform (plan: 24+)', s.policies)),
		(5, 'permissive_allow_all_on_every_table', s.tables > 0 AND s.allow_all_tables + s.kept_tables = s.tables,
			format('%s of %s platform tables have a permissive FOR ALL TO PUBLIC USING (true) WITH CHECK (true) policy%s, so behaviour is unchanged', s.allow_all_tables, s.tables,
				CASE WHEN s.kept_tables > 0 THEN format('; %s had row level security with policies of their own before 006 and keep them', s.kept_tables) ELSE '' END))
	) AS v(ord, test_name, test_result, description)
	ORDER BY v.ord;
$$;

COMMENT ON FUNCTION platform.test_rls_policies() IS 'Catalog checks of migration 006: RLS and a permissive policy on every platform table, the plan''s 24+ beside the measured counts.';

-- Self-check: fail the whole migration if any platform table lacks RLS or a policy.
DO $$
DECLARE
	failed text;
BEGIN
	SELECT string_agg(r.test_name || ': ' || r.description, '; ') INTO failed
	FROM platform.test_rls_policies() r
	WHERE NOT r.test_result;
	IF failed IS NOT NULL THEN
		RAISE EXCEPTION 'row level security is incomplete after 006_enable_rls_with_permissive_policies: %', failed
			USING HINT = 'A platform table had row level security enabled before 006 without a policy, or a policy failed to apply: look at platform.verify_rls_enabled().';
	END IF;
END
$$;
