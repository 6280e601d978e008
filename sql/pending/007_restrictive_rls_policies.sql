-- 007_restrictive_rls_policies.sql  (PENDING: must not run yet)
--
-- Replaces 006's allow-all policies with organization-based ones. Lives in
-- sql/pending/ so no runner or glob picks it up (PLAN-REVIEW decision 4).
--
-- PREREQUISITES: every one of these must hold before this file is run.
--   1. A dedicated application role that connects for the application:
--      NOSUPERUSER, NOBYPASSRLS, and NOT the owner of any platform table
--      (owners, superusers and BYPASSRLS roles bypass RLS, so policies would
--      do nothing for them). This migration does not use FORCE ROW LEVEL
--      SECURITY (see 006). Name it in the session setting
--      app.migration_007_app_role; the guard below checks all three
--      properties and grants that role EXECUTE on the helper functions.
--   2. Middleware that, inside EVERY transaction, sets
--        SELECT set_config('app.current_user_id', $1, true),
--               set_config('app.current_org_id',  $2, true);
--      with parameters (never interpolated). is_local = true scopes the
--      values to the transaction, which is what makes this safe with
--      connection pools (a session-wide set_config(..., false) leaks one
--      user's identity into the next request on the same connection).
--   3. These settings can be set by any client, so they only mean something
--      when end users cannot send raw SQL (PostgREST-style direct access must
--      not exist for this role).
--   4. Code paths that run before a user is known (session lookup by token,
--      sign-up, invitation acceptance, background jobs, billing webhooks) use
--      a separate privileged role or set the settings first: under these
--      policies the application role sees only its own user's sessions.
--   5. Every table with RLS has a policy below (the customer's 25 and
--      platform.databases), so no table is left denying everything; the
--      self-check at the end fails the migration for any table (say, one
--      added since) that has none.
--   6. Staging has run the application's full test suite as the application
--      role with these policies, and a rollback (re-create 006's permissive
--      policies) is written and tested.
--
-- Guard: the first statement raises, and the transaction changes nothing,
-- unless the session sets app.allow_migration_007 = 'on'
-- (e.g. PGOPTIONS='-c app.allow_migration_007=on').
--
-- Transaction: no BEGIN/COMMIT here; run it with
-- `psql -X -v ON_ERROR_STOP=1 --single-transaction`.
--
-- Policy model: all policies are PERMISSIVE (OR-ed per command) with
-- restrictive predicates. A row of an organization is visible only when the
-- organization is the CURRENT one (app.current_org_id) AND the current user
-- (app.current_user_id) is a member of it; writes to sensitive tables need a
-- role (owner > admin > billing_admin > developer > member). Global catalogs
-- (billing_plans, feature_flags) are readable by any identified user.
-- Helper functions are SECURITY DEFINER (so membership lookups are not
-- themselves filtered by RLS), STABLE, with search_path pinned to
-- pg_catalog, pg_temp, and EXECUTE revoked from PUBLIC.
--
-- Performance: every helper call in a policy is wrapped in a scalar
-- sub-SELECT without outer references, so PostgreSQL evaluates it once per
-- statement (an InitPlan) instead of once per row, and the predicates reduce
-- to `organization_id = <constant>` (or project_id IN (...)), which the
-- existing organization_id / project_id indexes serve.

DO $$
DECLARE
	app_role text := nullif(current_setting('app.migration_007_app_role', true), '');
	role_row record;
	owned text;
BEGIN
	IF current_setting('app.allow_migration_007', true) IS DISTINCT FROM 'on' THEN
		RAISE EXCEPTION 'migration 007 is pending and must not run: app.allow_migration_007 is not on'
			USING HINT = 'Read the prerequisites in sql/pending/007_restrictive_rls_policies.sql. When all of them hold, run it with app.allow_migration_007 = on and app.migration_007_app_role = <application role>.';
	END IF;
	IF app_role IS NULL THEN
		RAISE EXCEPTION 'migration 007 needs the application role: app.migration_007_app_role is not set'
			USING HINT = 'Set app.migration_007_app_role to the NOSUPERUSER NOBYPASSRLS role the application connects as.';
	END IF;
	SELECT r.rolname, r.rolsuper, r.rolbypassrls INTO role_row FROM pg_catalog.pg_roles r WHERE r.rolname = app_role;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'migration 007: application role % does not exist', app_role;
	END IF;
	IF role_row.rolsuper OR role_row.rolbypassrls THEN
		RAISE EXCEPTION 'migration 007: application role % is SUPERUSER or BYPASSRLS, so row level security would not apply to it', app_role
			USING HINT = 'ALTER ROLE ... NOSUPERUSER NOBYPASSRLS, or give the application a dedicated role.';
	END IF;
	SELECT string_agg(c.relname, ', ' ORDER BY c.relname) INTO owned
	FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
	WHERE n.nspname = 'platform' AND c.relkind IN ('r', 'p') AND pg_catalog.pg_has_role(app_role, c.relowner, 'USAGE');
	IF owned IS NOT NULL THEN
		RAISE EXCEPTION 'migration 007: application role % owns (or inherits the owner of) platform tables: %', app_role, owned
			USING HINT = 'Owners bypass row level security. Transfer ownership to a migration role, or give the application a dedicated role.';
	END IF;
END
$$;

CREATE FUNCTION platform.current_user_id()
RETURNS uuid
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	RETURN nullif(current_setting('app.current_user_id', true), '')::uuid;
EXCEPTION
	WHEN invalid_text_representation THEN
		RETURN NULL;
END;
$$;

CREATE FUNCTION platform.current_org_id()
RETURNS uuid
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	RETURN nullif(current_setting('app.current_org_id', true), '')::uuid;
EXCEPTION
	WHEN invalid_text_representation THEN
		RETURN NULL;
END;
$$;

CREATE FUNCTION platform.user_is_org_member(p_organization_id uuid)
RETURNS boolean
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT EXISTS (
		SELECT 1 FROM platform.organization_members m
		WHERE m.organization_id = p_organization_id AND m.user_id = platform.current_user_id()
	);
$$;

-- owner > admin > billing_admin > developer > member
CREATE FUNCTION platform.user_has_org_role(p_organization_id uuid, p_minimum_role text)
RETURNS boolean
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT p_organization_id = platform.current_org_id() AND EXISTS (
		SELECT 1 FROM platform.organization_members m
		WHERE m.organization_id = p_organization_id
			AND m.user_id = platform.current_user_id()
			AND array_position(ARRAY['member', 'developer', 'billing_admin', 'admin', 'owner'], m.role)
				>= array_position(ARRAY['member', 'developer', 'billing_admin', 'admin', 'owner'], p_minimum_role)
	);
$$;

REVOKE ALL ON FUNCTION platform.current_user_id() FROM PUBLIC;
REVOKE ALL ON FUNCTION platform.current_org_id() FROM PUBLIC;
REVOKE ALL ON FUNCTION platform.user_is_org_member(uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION platform.user_has_org_role(uuid, text) FROM PUBLIC;

-- The application role evaluates the policies, so it needs EXECUTE on the helpers.
DO $$
DECLARE
	app_role text := current_setting('app.migration_007_app_role');
	fn text;
BEGIN
	FOREACH fn IN ARRAY ARRAY[
		'platform.current_user_id()', 'platform.current_org_id()', 'platform.user_is_org_member(uuid)',
		'platform.user_has_org_role(uuid, text)'
	] LOOP
		-- fn is one of the fixed signatures above; the role name is quoted with %I.
		EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %I', fn, app_role);
	END LOOP;
END
$$;

-- New policies first, then the permissive ones go: no table is ever without a policy.

CREATE POLICY tenant_all_addons ON platform.addons AS PERMISSIVE FOR ALL TO PUBLIC
	USING ((SELECT platform.user_is_org_member(platform.current_org_id())) AND project_id IN (SELECT p.id FROM platform.projects p WHERE p.organization_id = (SELECT platform.current_org_id())))
	WITH CHECK ((SELECT platform.user_is_org_member(platform.current_org_id())) AND project_id IN (SELECT p.id FROM platform.projects p WHERE p.organization_id = (SELECT platform.current_org_id())));

CREATE POLICY tenant_developer_all_api_keys ON platform.api_keys AS PERMISSIVE FOR ALL TO PUBLIC
	USING (organization_id = (SELECT platform.current_org_id()) AND (SELECT platform.user_has_org_role(platform.current_org_id(), 'developer')))
	WITH CHECK (organization_id = (SELECT platform.current_org_id()) AND (SELECT platform.user_has_org_role(platform.current_org_id(), 'developer')));

CREATE POLICY tenant_select_audit_logs ON platform.audit_logs AS PERMISSIVE FOR SELECT TO PUBLIC
	USING (organization_id = (SELECT platform.current_org_id()) AND (SELECT platform.user_is_org_member(platform.current_org_id())));

CREATE POLICY tenant_insert_audit_logs ON platform.audit_logs AS PERMISSIVE FOR INSERT TO PUBLIC
	WITH CHECK (organization_id = (SELECT platform.current_org_id()) AND (SELECT platform.user_is_org_member(platform.current_org_id())));

CREATE POLICY authenticated_select_billing_plans ON platform.billing_plans AS PERMISSIVE FOR SELECT TO PUBLIC
	USING ((SELECT platform.current_user_id()) IS NOT NULL);

CREATE POLICY tenant_all_compute_config ON platform.compute_config AS PERMISSIVE FOR ALL TO PUBLIC
	USING ((SELECT platform.user_is_org_member(platform.current_org_id())) AND project_id IN (SELECT p.id FROM platform.projects p WHERE p.organization_id = (SELECT platform.current_org_id())))
	WITH CHECK ((SELECT platform.user_is_org_member(platform.current_org_id())) AND project_id IN (SELECT p.id FROM platform.projects p WHERE p.organization_id = (SELECT platform.current_org_id())));

CREATE POLICY tenant_admin_all_credentials ON platform.credentials AS PERMISSIVE FOR ALL TO PUBLIC
	USING ((SELECT platform.user_is_org_member(platform.current_org_id())) AND project_id IN (SELECT p.id FROM platform.projects p WHERE p.organization_id = (SELECT platform.current_org_id())) AND (SELECT platform.user_has_org_role(platform.current_org_id(), 'admin')))
	WITH CHECK ((SELECT platform.user_is_org_member(platform.current_org_id())) AND project_id IN (SELECT p.id FROM platform.projects p WHERE p.organization_id = (SELECT platform.current_org_id())) AND (SELECT platform.user_has_org_role(platform.current_org_id(), 'admin')));

CREATE POLICY tenant_select_credits ON platform.credits AS PERMISSIVE FOR SELECT TO PUBLIC
	USING (organization_id = (SELECT platform.current_org_id()) AND (SELECT platform.user_is_org_member(platform.current_org_id())));

CREATE POLICY tenant_billing_write_credits ON platform.credits AS PERMISSIVE FOR ALL TO PUBLIC
	USING (organization_id = (SELECT platform.current_org_id()) AND (SELECT platform.user_has_org_role(platform.current_org_id(), 'billing_admin')))
	WITH CHECK (organization_id = (SELECT platform.current_org_id()) AND (SELECT platform.user_has_org_role(platform.current_org_id(), 'billing_admin')));

CREATE POLICY tenant_select_customer_profiles ON platform.customer_profiles AS PERMISSIVE FOR SELECT TO PUBLIC
	USING (organization_id = (SELECT platform.current_org_id()) AND (SELECT platform.user_is_org_member(platform.current_org_id())));

CREATE POLICY tenant_billing_write_customer_profiles ON platform.customer_profiles AS PERMISSIVE FOR ALL TO PUBLIC
	USING (organization_id = (SELECT platform.current_org_id()) AND (SELECT platform.user_has_org_role(platform.current_org_id(), 'billing_admin')))
	WITH CHECK (organization_id = (SELECT platform.current_org_id()) AND (SELECT platform.user_has_org_role(platform.current_org_id(), 'billing_admin')));

CREATE POLICY tenant_all_databases ON platform.databases AS PERMISSIVE FOR ALL TO PUBLIC
	USING ((SELECT platform.user_is_org_member(platform.current_org_id())) AND project_id IN (SELECT p.id FROM platform.projects p WHERE p.organization_id = (SELECT platform.current_org_id())))
	WITH CHECK ((SELECT platform.user_is_org_member(platform.current_org_id())) AND project_id IN (SELECT p.id FROM platform.projects p WHERE p.organization_id = (SELECT platform.current_org_id())));

CREATE POLICY tenant_all_disk_config ON platform.disk_config AS PERMISSIVE FOR ALL TO PUBLIC
	USING ((SELECT platform.user_is_org_member(platform.current_org_id())) AND project_id IN (SELECT p.id FROM platform.projects p WHERE p.organization_id = (SELECT platform.current_org_id())))
	WITH CHECK ((SELECT platform.user_is_org_member(platform.current_org_id())) AND project_id IN (SELECT p.id FROM platform.projects p WHERE p.organization_id = (SELECT platform.current_org_id())));

CREATE POLICY authenticated_select_feature_flags ON platform.feature_flags AS PERMISSIVE FOR SELECT TO PUBLIC
	USING ((SELECT platform.current_user_id()) IS NOT NULL);

CREATE POLICY tenant_select_invoices ON platform.invoices AS PERMISSIVE FOR SELECT TO PUBLIC
	USING (organization_id = (SELECT platform.current_org_id()) AND (SELECT platform.user_is_org_member(platform.current_org_id())));

CREATE POLICY tenant_billing_write_invoices ON platform.invoices AS PERMISSIVE FOR ALL TO PUBLIC
	USING (organization_id = (SELECT platform.current_org_id()) AND (SELECT platform.user_has_org_role(platform.current_org_id(), 'billing_admin')))
	WITH CHECK (organization_id = (SELECT platform.current_org_id()) AND (SELECT platform.user_has_org_role(platform.current_org_id(), 'billing_admin')));

CREATE POLICY tenant_select_organization_feature_flags ON platform.organization_feature_flags AS PERMISSIVE FOR SELECT TO PUBLIC
	USING (organization_id = (SELECT platform.current_org_id()) AND (SELECT platform.user_is_org_member(platform.current_org_id())));

CREATE POLICY tenant_admin_write_organization_feature_flags ON platform.organization_feature_flags AS PERMISSIVE FOR ALL TO PUBLIC
	USING (organization_id = (SELECT platform.current_org_id()) AND (SELECT platform.user_has_org_role(platform.current_org_id(), 'admin')))
	WITH CHECK (organization_id = (SELECT platform.current_org_id()) AND (SELECT platform.user_has_org_role(platform.current_org_id(), 'admin')));

CREATE POLICY tenant_select_organization_invitations ON platform.organization_invitations AS PERMISSIVE FOR SELECT TO PUBLIC
	USING (organization_id = (SELECT platform.current_org_id()) AND (SELECT platform.user_is_org_member(platform.current_org_id())));

CREATE POLICY tenant_admin_write_organization_invitations ON platform.organization_invitations AS PERMISSIVE FOR ALL TO PUBLIC
	USING (organization_id = (SELECT platform.current_org_id()) AND (SELECT platform.user_has_org_role(platform.current_org_id(), 'admin')))
	WITH CHECK (organization_id = (SELECT platform.current_org_id()) AND (SELECT platform.user_has_org_role(platform.current_org_id(), 'admin')));

CREATE POLICY tenant_select_organization_members ON platform.organization_members AS PERMISSIVE FOR SELECT TO PUBLIC
	USING (organization_id = (SELECT platform.current_org_id()) AND (SELECT platform.user_is_org_member(platform.current_org_id())));

CREATE POLICY tenant_admin_write_organization_members ON platform.organization_members AS PERMISSIVE FOR ALL TO PUBLIC
	USING (organization_id = (SELECT platform.current_org_id()) AND (SELECT platform.user_has_org_role(platform.current_org_id(), 'admin')))
	WITH CHECK (organization_id = (SELECT platform.current_org_id()) AND (SELECT platform.user_has_org_role(platform.current_org_id(), 'admin')));

CREATE POLICY tenant_select_organizations ON platform.organizations AS PERMISSIVE FOR SELECT TO PUBLIC
	USING (id = (SELECT platform.current_org_id()) AND (SELECT platform.user_is_org_member(platform.current_org_id())));

CREATE POLICY tenant_admin_update_organizations ON platform.organizations AS PERMISSIVE FOR UPDATE TO PUBLIC
	USING (id = (SELECT platform.current_org_id()) AND (SELECT platform.user_has_org_role(platform.current_org_id(), 'admin')))
	WITH CHECK (id = (SELECT platform.current_org_id()) AND (SELECT platform.user_has_org_role(platform.current_org_id(), 'admin')));

CREATE POLICY tenant_select_payment_methods ON platform.payment_methods AS PERMISSIVE FOR SELECT TO PUBLIC
	USING (organization_id = (SELECT platform.current_org_id()) AND (SELECT platform.user_is_org_member(platform.current_org_id())));

CREATE POLICY tenant_billing_write_payment_methods ON platform.payment_methods AS PERMISSIVE FOR ALL TO PUBLIC
	USING (organization_id = (SELECT platform.current_org_id()) AND (SELECT platform.user_has_org_role(platform.current_org_id(), 'billing_admin')))
	WITH CHECK (organization_id = (SELECT platform.current_org_id()) AND (SELECT platform.user_has_org_role(platform.current_org_id(), 'billing_admin')));

CREATE POLICY tenant_all_project_addons ON platform.project_addons AS PERMISSIVE FOR ALL TO PUBLIC
	USING ((SELECT platform.user_is_org_member(platform.current_org_id())) AND project_id IN (SELECT p.id FROM platform.projects p WHERE p.organization_id = (SELECT platform.current_org_id())))
	WITH CHECK ((SELECT platform.user_is_org_member(platform.current_org_id())) AND project_id IN (SELECT p.id FROM platform.projects p WHERE p.organization_id = (SELECT platform.current_org_id())));

CREATE POLICY tenant_all_project_members ON platform.project_members AS PERMISSIVE FOR ALL TO PUBLIC
	USING ((SELECT platform.user_is_org_member(platform.current_org_id())) AND project_id IN (SELECT p.id FROM platform.projects p WHERE p.organization_id = (SELECT platform.current_org_id())))
	WITH CHECK ((SELECT platform.user_is_org_member(platform.current_org_id())) AND project_id IN (SELECT p.id FROM platform.projects p WHERE p.organization_id = (SELECT platform.current_org_id())));

CREATE POLICY tenant_select_project_metrics ON platform.project_metrics AS PERMISSIVE FOR SELECT TO PUBLIC
	USING ((SELECT platform.user_is_org_member(platform.current_org_id())) AND project_id IN (SELECT p.id FROM platform.projects p WHERE p.organization_id = (SELECT platform.current_org_id())));

CREATE POLICY tenant_all_projects ON platform.projects AS PERMISSIVE FOR ALL TO PUBLIC
	USING (organization_id = (SELECT platform.current_org_id()) AND (SELECT platform.user_is_org_member(platform.current_org_id())))
	WITH CHECK (organization_id = (SELECT platform.current_org_id()) AND (SELECT platform.user_is_org_member(platform.current_org_id())));

CREATE POLICY tenant_select_subscriptions ON platform.subscriptions AS PERMISSIVE FOR SELECT TO PUBLIC
	USING (organization_id = (SELECT platform.current_org_id()) AND (SELECT platform.user_is_org_member(platform.current_org_id())));

CREATE POLICY tenant_billing_write_subscriptions ON platform.subscriptions AS PERMISSIVE FOR ALL TO PUBLIC
	USING (organization_id = (SELECT platform.current_org_id()) AND (SELECT platform.user_has_org_role(platform.current_org_id(), 'billing_admin')))
	WITH CHECK (organization_id = (SELECT platform.current_org_id()) AND (SELECT platform.user_has_org_role(platform.current_org_id(), 'billing_admin')));

CREATE POLICY tenant_select_tax_ids ON platform.tax_ids AS PERMISSIVE FOR SELECT TO PUBLIC
	USING (organization_id = (SELECT platform.current_org_id()) AND (SELECT platform.user_is_org_member(platform.current_org_id())));

CREATE POLICY tenant_billing_write_tax_ids ON platform.tax_ids AS PERMISSIVE FOR ALL TO PUBLIC
	USING (organization_id = (SELECT platform.current_org_id()) AND (SELECT platform.user_has_org_role(platform.current_org_id(), 'billing_admin')))
	WITH CHECK (organization_id = (SELECT platform.current_org_id()) AND (SELECT platform.user_has_org_role(platform.current_org_id(), 'billing_admin')));

CREATE POLICY tenant_select_usage_metrics ON platform.usage_metrics AS PERMISSIVE FOR SELECT TO PUBLIC
	USING (organization_id = (SELECT platform.current_org_id()) AND (SELECT platform.user_is_org_member(platform.current_org_id())));

CREATE POLICY self_all_user_sessions ON platform.user_sessions AS PERMISSIVE FOR ALL TO PUBLIC
	USING (user_id = (SELECT platform.current_user_id()))
	WITH CHECK (user_id = (SELECT platform.current_user_id()));

CREATE POLICY self_all_users ON platform.users AS PERMISSIVE FOR ALL TO PUBLIC
	USING (id = (SELECT platform.current_user_id()))
	WITH CHECK (id = (SELECT platform.current_user_id()));

CREATE POLICY tenant_select_users ON platform.users AS PERMISSIVE FOR SELECT TO PUBLIC
	USING ((SELECT platform.user_is_org_member(platform.current_org_id())) AND id IN (SELECT m.user_id FROM platform.organization_members m WHERE m.organization_id = (SELECT platform.current_org_id())));

-- 006's allow-all policies, on whichever tables 006 put them.
SELECT format('DROP POLICY %I ON %I.%I', p.policyname, p.schemaname, p.tablename)
FROM pg_catalog.pg_policies p
WHERE p.schemaname = 'platform' AND p.policyname = 'permissive_all_' || p.tablename
ORDER BY p.tablename
\gexec

-- Self-check: every platform table has RLS and at least one policy, and none of 006's remain.
DO $$
DECLARE
	problem text;
BEGIN
	SELECT string_agg(c.relname, ', ' ORDER BY c.relname) INTO problem
	FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
	WHERE n.nspname = 'platform' AND c.relkind IN ('r', 'p')
		AND (NOT c.relrowsecurity OR NOT EXISTS (SELECT 1 FROM pg_catalog.pg_policy p WHERE p.polrelid = c.oid));
	IF problem IS NOT NULL THEN
		RAISE EXCEPTION 'migration 007 would leave platform tables without row level security or without a policy: %', problem;
	END IF;
	IF EXISTS (SELECT 1 FROM pg_catalog.pg_policies WHERE schemaname = 'platform' AND policyname LIKE 'permissive\_all\_%') THEN
		RAISE EXCEPTION 'migration 007: a permissive_all_ policy of 006 is still present';
	END IF;
END
$$;
