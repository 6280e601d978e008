-- 006_rollback.sql  (rollback step 1: undoes 006_enable_rls_with_permissive_policies.sql)
--
-- Drops the 24 permissive_all_<table> policies, disables row level security
-- on the 24 tables and drops platform.verify_rls_enabled() and
-- platform.test_rls_policies(). Run it BEFORE rollback-006.sql.
--
-- Transaction: no BEGIN/COMMIT here. Run it with
-- `psql -X -v ON_ERROR_STOP=1 --single-transaction`: it undoes everything or
-- nothing. Functions are dropped with RESTRICT, so an unexpected dependent
-- object makes it fail instead of silently disappearing.
--
-- Guard: RLS is only disabled where 006 enabled it. No platform table had RLS
-- before 006 (001-005 enable none), so the file refuses to run while a
-- platform table carries any policy other than 006's permissive_all_<table>
-- (for example 007's), because disabling RLS there would undo something that
-- is not 006's. Roll that back first.
--
-- platform.databases may already be gone if rollback-006.sql ran first: its
-- two lines use IF EXISTS for the table.

DO $$
DECLARE
	foreign_policies text;
BEGIN
	SELECT string_agg(format('%s on platform.%s', p.polname, c.relname), ', ' ORDER BY c.relname, p.polname)
	INTO foreign_policies
	FROM pg_catalog.pg_policy p
	JOIN pg_catalog.pg_class c ON c.oid = p.polrelid
	JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
	WHERE n.nspname = 'platform' AND p.polname <> 'permissive_all_' || c.relname;
	IF foreign_policies IS NOT NULL THEN
		RAISE EXCEPTION '006_rollback found policies that migration 006 did not create: %', foreign_policies
			USING HINT = 'Another migration (007?) changed row level security after 006. Roll that migration back first, then run 006_rollback again.';
	END IF;
END
$$;

DROP POLICY IF EXISTS permissive_all_addons ON platform.addons;
ALTER TABLE platform.addons DISABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS permissive_all_api_keys ON platform.api_keys;
ALTER TABLE platform.api_keys DISABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS permissive_all_audit_logs ON platform.audit_logs;
ALTER TABLE platform.audit_logs DISABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS permissive_all_billing_plans ON platform.billing_plans;
ALTER TABLE platform.billing_plans DISABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS permissive_all_compute_config ON platform.compute_config;
ALTER TABLE platform.compute_config DISABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS permissive_all_credentials ON platform.credentials;
ALTER TABLE platform.credentials DISABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS permissive_all_credits ON platform.credits;
ALTER TABLE platform.credits DISABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS permissive_all_customer_profiles ON platform.customer_profiles;
ALTER TABLE platform.customer_profiles DISABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS permissive_all_databases ON platform.databases;
ALTER TABLE IF EXISTS platform.databases DISABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS permissive_all_disk_config ON platform.disk_config;
ALTER TABLE platform.disk_config DISABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS permissive_all_feature_flags ON platform.feature_flags;
ALTER TABLE platform.feature_flags DISABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS permissive_all_invoices ON platform.invoices;
ALTER TABLE platform.invoices DISABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS permissive_all_organization_invitations ON platform.organization_invitations;
ALTER TABLE platform.organization_invitations DISABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS permissive_all_organization_members ON platform.organization_members;
ALTER TABLE platform.organization_members DISABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS permissive_all_organizations ON platform.organizations;
ALTER TABLE platform.organizations DISABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS permissive_all_payment_methods ON platform.payment_methods;
ALTER TABLE platform.payment_methods DISABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS permissive_all_project_addons ON platform.project_addons;
ALTER TABLE platform.project_addons DISABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS permissive_all_project_members ON platform.project_members;
ALTER TABLE platform.project_members DISABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS permissive_all_projects ON platform.projects;
ALTER TABLE platform.projects DISABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS permissive_all_subscriptions ON platform.subscriptions;
ALTER TABLE platform.subscriptions DISABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS permissive_all_tax_ids ON platform.tax_ids;
ALTER TABLE platform.tax_ids DISABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS permissive_all_usage_metrics ON platform.usage_metrics;
ALTER TABLE platform.usage_metrics DISABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS permissive_all_user_sessions ON platform.user_sessions;
ALTER TABLE platform.user_sessions DISABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS permissive_all_users ON platform.users;
ALTER TABLE platform.users DISABLE ROW LEVEL SECURITY;

DROP FUNCTION platform.test_rls_policies() RESTRICT;
DROP FUNCTION platform.verify_rls_enabled() RESTRICT;
