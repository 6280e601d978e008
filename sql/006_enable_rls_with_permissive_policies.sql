-- 006_enable_rls_with_permissive_policies.sql  (migration 2 of 3, plan Step 2)
--
-- Enables row level security on EVERY base table of schema platform, the 23
-- of 001-005 plus platform.databases from migration 1 (24 in all, decision 1),
-- each with one permissive allow-all policy named permissive_all_<table>, so
-- behaviour does not change. Adds platform.verify_rls_enabled() and
-- platform.test_rls_policies().
--
-- Transaction: no BEGIN/COMMIT here. The runbook runs this file with
-- `psql -X -v ON_ERROR_STOP=1 --single-transaction` (plus its lock_timeout,
-- retries and its own ledger row in the same transaction). This file does not
-- SET lock_timeout itself, so the runbook's setting stands.
--
-- Order (PLAN-REVIEW defect #10): for each table the policy is created BEFORE
-- RLS is enabled, so there is never a moment where a table has RLS and no
-- policy. psql prints CREATE POLICY and ALTER TABLE once per table (24 each),
-- then CREATE FUNCTION twice and DO once (the final self-check).
--
-- The 24 tables are listed explicitly (so the output matches the plan); the
-- final DO block checks against the catalog that every platform base table
-- now has RLS and a policy, and fails the whole migration otherwise (for
-- example if a table was added that this list does not know).
--
-- FORCE ROW LEVEL SECURITY: deliberately NOT set. Table owners keep bypassing
-- RLS, as before. With allow-all policies FORCE would change nothing today,
-- but it would make 007 bite at once for an application that connects as the
-- owner (PLAN-REVIEW #11). RLS is meant for the dedicated, non-owner
-- application role that 007 requires; 006_rollback therefore only has to
-- disable RLS.
--
-- Applying it twice: a clean error, nothing changed. CREATE POLICY is not
-- idempotent; the second run stops at the first
-- `policy "permissive_all_addons" for table "addons" already exists` and the
-- transaction rolls back.

CREATE POLICY permissive_all_addons ON platform.addons AS PERMISSIVE FOR ALL TO PUBLIC USING (true) WITH CHECK (true);
ALTER TABLE platform.addons ENABLE ROW LEVEL SECURITY;

CREATE POLICY permissive_all_api_keys ON platform.api_keys AS PERMISSIVE FOR ALL TO PUBLIC USING (true) WITH CHECK (true);
ALTER TABLE platform.api_keys ENABLE ROW LEVEL SECURITY;

CREATE POLICY permissive_all_audit_logs ON platform.audit_logs AS PERMISSIVE FOR ALL TO PUBLIC USING (true) WITH CHECK (true);
ALTER TABLE platform.audit_logs ENABLE ROW LEVEL SECURITY;

CREATE POLICY permissive_all_billing_plans ON platform.billing_plans AS PERMISSIVE FOR ALL TO PUBLIC USING (true) WITH CHECK (true);
ALTER TABLE platform.billing_plans ENABLE ROW LEVEL SECURITY;

CREATE POLICY permissive_all_compute_config ON platform.compute_config AS PERMISSIVE FOR ALL TO PUBLIC USING (true) WITH CHECK (true);
ALTER TABLE platform.compute_config ENABLE ROW LEVEL SECURITY;

CREATE POLICY permissive_all_credentials ON platform.credentials AS PERMISSIVE FOR ALL TO PUBLIC USING (true) WITH CHECK (true);
ALTER TABLE platform.credentials ENABLE ROW LEVEL SECURITY;

CREATE POLICY permissive_all_credits ON platform.credits AS PERMISSIVE FOR ALL TO PUBLIC USING (true) WITH CHECK (true);
ALTER TABLE platform.credits ENABLE ROW LEVEL SECURITY;

CREATE POLICY permissive_all_customer_profiles ON platform.customer_profiles AS PERMISSIVE FOR ALL TO PUBLIC USING (true) WITH CHECK (true);
ALTER TABLE platform.customer_profiles ENABLE ROW LEVEL SECURITY;

CREATE POLICY permissive_all_databases ON platform.databases AS PERMISSIVE FOR ALL TO PUBLIC USING (true) WITH CHECK (true);
ALTER TABLE platform.databases ENABLE ROW LEVEL SECURITY;

CREATE POLICY permissive_all_disk_config ON platform.disk_config AS PERMISSIVE FOR ALL TO PUBLIC USING (true) WITH CHECK (true);
ALTER TABLE platform.disk_config ENABLE ROW LEVEL SECURITY;

CREATE POLICY permissive_all_feature_flags ON platform.feature_flags AS PERMISSIVE FOR ALL TO PUBLIC USING (true) WITH CHECK (true);
ALTER TABLE platform.feature_flags ENABLE ROW LEVEL SECURITY;

CREATE POLICY permissive_all_invoices ON platform.invoices AS PERMISSIVE FOR ALL TO PUBLIC USING (true) WITH CHECK (true);
ALTER TABLE platform.invoices ENABLE ROW LEVEL SECURITY;

CREATE POLICY permissive_all_organization_invitations ON platform.organization_invitations AS PERMISSIVE FOR ALL TO PUBLIC USING (true) WITH CHECK (true);
ALTER TABLE platform.organization_invitations ENABLE ROW LEVEL SECURITY;

CREATE POLICY permissive_all_organization_members ON platform.organization_members AS PERMISSIVE FOR ALL TO PUBLIC USING (true) WITH CHECK (true);
ALTER TABLE platform.organization_members ENABLE ROW LEVEL SECURITY;

CREATE POLICY permissive_all_organizations ON platform.organizations AS PERMISSIVE FOR ALL TO PUBLIC USING (true) WITH CHECK (true);
ALTER TABLE platform.organizations ENABLE ROW LEVEL SECURITY;

CREATE POLICY permissive_all_payment_methods ON platform.payment_methods AS PERMISSIVE FOR ALL TO PUBLIC USING (true) WITH CHECK (true);
ALTER TABLE platform.payment_methods ENABLE ROW LEVEL SECURITY;

CREATE POLICY permissive_all_project_addons ON platform.project_addons AS PERMISSIVE FOR ALL TO PUBLIC USING (true) WITH CHECK (true);
ALTER TABLE platform.project_addons ENABLE ROW LEVEL SECURITY;

CREATE POLICY permissive_all_project_members ON platform.project_members AS PERMISSIVE FOR ALL TO PUBLIC USING (true) WITH CHECK (true);
ALTER TABLE platform.project_members ENABLE ROW LEVEL SECURITY;

CREATE POLICY permissive_all_projects ON platform.projects AS PERMISSIVE FOR ALL TO PUBLIC USING (true) WITH CHECK (true);
ALTER TABLE platform.projects ENABLE ROW LEVEL SECURITY;

CREATE POLICY permissive_all_subscriptions ON platform.subscriptions AS PERMISSIVE FOR ALL TO PUBLIC USING (true) WITH CHECK (true);
ALTER TABLE platform.subscriptions ENABLE ROW LEVEL SECURITY;

CREATE POLICY permissive_all_tax_ids ON platform.tax_ids AS PERMISSIVE FOR ALL TO PUBLIC USING (true) WITH CHECK (true);
ALTER TABLE platform.tax_ids ENABLE ROW LEVEL SECURITY;

CREATE POLICY permissive_all_usage_metrics ON platform.usage_metrics AS PERMISSIVE FOR ALL TO PUBLIC USING (true) WITH CHECK (true);
ALTER TABLE platform.usage_metrics ENABLE ROW LEVEL SECURITY;

CREATE POLICY permissive_all_user_sessions ON platform.user_sessions AS PERMISSIVE FOR ALL TO PUBLIC USING (true) WITH CHECK (true);
ALTER TABLE platform.user_sessions ENABLE ROW LEVEL SECURITY;

CREATE POLICY permissive_all_users ON platform.users AS PERMISSIVE FOR ALL TO PUBLIC USING (true) WITH CHECK (true);
ALTER TABLE platform.users ENABLE ROW LEVEL SECURITY;

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
-- and at least one policy, and there must be at least 24 of each (the plan's
-- numbers). The checks read only the catalog, so they give the same answer for
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
			) AS allow_all
		FROM pg_catalog.pg_class c
		JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = 'platform' AND c.relkind IN ('r', 'p')
	), s AS (
		SELECT count(*) AS tables,
			count(*) FILTER (WHERE relrowsecurity) AS rls_tables,
			count(*) FILTER (WHERE policies > 0) AS tables_with_policy,
			count(*) FILTER (WHERE allow_all) AS allow_all_tables,
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
			format('%s tables have row level security (at least 24 expected)', s.rls_tables)),
		(4, 'policy_count', s.policies >= 24,
			format('%s policies in schema platform (at least 24 expected)', s.policies)),
		(5, 'permissive_allow_all_on_every_table', s.tables > 0 AND s.allow_all_tables = s.tables,
			format('%s of %s platform tables have a permissive FOR ALL TO PUBLIC USING (true) WITH CHECK (true) policy, so behaviour is unchanged', s.allow_all_tables, s.tables))
	) AS v(ord, test_name, test_result, description)
	ORDER BY v.ord;
$$;

COMMENT ON FUNCTION platform.test_rls_policies() IS 'Catalog checks of migration 006: RLS and a permissive policy on every platform table, at least 24 of each.';

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
			USING HINT = 'A platform table is missing from this file''s list of 24; add its CREATE POLICY and ALTER TABLE lines.';
	END IF;
END
$$;
