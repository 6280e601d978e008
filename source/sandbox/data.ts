/**
 * Realistic data for the sandbox and the tests, generated server-side with
 * `generate_series` (one round trip per table), deterministic through
 * `setseed`, so a rehearsal database looks like a small production platform:
 * a pg_dump well over 100 KB, and baseline queries (session by token, an
 * organization's latest audit logs, its members) that touch thousands of rows.
 *
 * Also provisions the sandbox application role `runbook_app` (NOLOGIN,
 * NOSUPERUSER, NOBYPASSRLS, owns nothing) with the grants an application
 * needs, so tests and baselines can `SET ROLE runbook_app` and RLS applies.
 * This is sandbox-only: migrations never name this role.
 *
 * Sizes per scale N (rows): organizations 50·N (+ Lancio from 004, which keeps
 * its single project BlackWhale), users
 * 2 000·N, user_sessions 20 000·N (90% unexpired), audit_logs 200 000·N
 * (skewed: the first organization has about a third of them), projects 3 per
 * organization, members, billing rows, every one of the customer's 25
 * tables filled. Measured: scale 1 is 106 MB (pg_database_size) and seeded in
 * 34 s on a 2-core machine shared with four other test runs (audit_logs has a
 * uuid id and more columns than before); size grows linearly.
 *
 * Every connection is closed before returning: the database is then used as a
 * TEMPLATE, which requires that nobody is connected to it.
 */
import type pg from 'pg';
import {pgDriver} from '../db/pg-driver.js';
import type {Target} from '../db/target.js';
import {UserError} from '../errors.js';

export type SeedOptions = {
	/** Multiplies every row count (default 1). A positive integer. */
	readonly scale?: number;
	/** Receives one short line per table seeded. */
	readonly onProgress?: (message: string) => void;
};

/** The sandbox application role: not the owner, no superuser, no BYPASSRLS. */
export const APP_ROLE = 'runbook_app';

/** Idempotent and safe when many databases are seeded in parallel (roles are cluster-wide). */
const CREATE_APP_ROLE = `
DO $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'runbook_app') THEN
		CREATE ROLE runbook_app NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT;
	END IF;
EXCEPTION
	WHEN duplicate_object OR unique_violation THEN
		NULL; -- created concurrently by another seeding session
END
$$`;

const GRANTS = [
	'GRANT USAGE ON SCHEMA platform TO runbook_app',
	'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA platform TO runbook_app',
	'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA platform TO runbook_app',
	// Tables created later by migrations run as this same owner (platform.databases in 006)
	// get the same grants, as an application role would be given them in production.
	'ALTER DEFAULT PRIVILEGES IN SCHEMA platform GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO runbook_app',
	'ALTER DEFAULT PRIVILEGES IN SCHEMA platform GRANT USAGE, SELECT ON SEQUENCES TO runbook_app',
];

type Step = {readonly label: string; readonly sql: string};

/**
 * The seeding statements. `$1` is the scale everywhere. Temporary tables
 * number the organizations, users and projects so later statements can pick
 * them by position (and so skew towards the first ones).
 */
function steps(): Step[] {
	return [
		{
			label: 'organizations',
			sql: `
INSERT INTO platform.organizations (name, slug, billing_email, created_at)
SELECT format('Organization %s', i), format('org-%s', lpad(i::text, 5, '0')), format('billing+%s@example.com', i),
	now() - make_interval(days => 400 - (i % 365))
FROM generate_series(1, 50 * $1::int) AS i`,
		},
		{
			label: 'organization index',
			sql: `
CREATE TEMP TABLE seed_orgs ON COMMIT DROP AS
SELECT (row_number() OVER (ORDER BY (o.slug = 'lancio') DESC, o.slug))::int - 1 AS n, o.id
FROM platform.organizations o WHERE $1::int > 0`,
		},
		{
			label: 'users',
			sql: `
INSERT INTO platform.users (email, username, first_name, last_name, password_hash, mfa_enabled, email_confirmed_at, deleted_at, metadata, last_sign_in_at, created_at)
SELECT format('user%s@example.com', i), format('user%s', i), format('User'), format('%s', i),
	'$2b$10$' || md5('seed-user-' || i), i % 7 = 0, now() - make_interval(days => i % 400),
	CASE WHEN i % 50 = 0 THEN now() - make_interval(days => i % 30) END, jsonb_build_object('locale', (ARRAY['en', 'de', 'pt'])[1 + i % 3]),
	now() - make_interval(hours => i % 720), now() - make_interval(days => 1 + i % 400)
FROM generate_series(1, 2000 * $1::int) AS i`,
		},
		{
			label: 'user index',
			sql: `
CREATE TEMP TABLE seed_users ON COMMIT DROP AS
SELECT (row_number() OVER (ORDER BY u.email))::int - 1 AS n, u.id FROM platform.users u WHERE $1::int > 0`,
		},
		{
			label: 'projects',
			// Organization 0 is Lancio: it keeps its single project from 004.
			sql: `
INSERT INTO platform.projects (organization_id, name, slug, ref, database_host, database_port, database_name, database_user, database_password,
	postgres_meta_url, supabase_url, status, instance_size, disk_size_gb, disk_io_budget, created_at)
SELECT o.id, format('Project %s-%s', o.n, k), format('project-%s-%s', o.n, k), format('prj-%s-%s', lpad(o.n::text, 5, '0'), k),
	format('db.prj-%s-%s.internal', o.n, k), 5432, 'postgres', 'postgres', md5('seed-db-password-' || o.n || '-' || k),
	format('http://meta.prj-%s-%s.internal:8080', o.n, k), format('https://prj-%s-%s.example.com', o.n, k),
	CASE WHEN (o.n + k) % 17 = 0 THEN 'INACTIVE' ELSE 'ACTIVE_HEALTHY' END,
	(ARRAY['micro', 'small', 'medium', 'large'])[1 + (o.n + k) % 4], 8 * (1 + (o.n + k) % 4), 3000,
	now() - make_interval(days => 300 - o.n % 300)
FROM seed_orgs o CROSS JOIN generate_series(1, 3) AS k
WHERE o.n > 0 AND $1::int > 0`,
		},
		{
			label: 'project index',
			sql: `
CREATE TEMP TABLE seed_projects ON COMMIT DROP AS
SELECT (row_number() OVER (ORDER BY p.ref))::int - 1 AS n, p.id, p.organization_id FROM platform.projects p WHERE $1::int > 0`,
		},
		{
			label: 'credentials',
			sql: `
INSERT INTO platform.credentials (project_id, anon_key, service_role_key, jwt_secret)
SELECT p.id, md5('anon' || p.n), md5('service' || p.n) || md5('role' || p.n), md5('jwt' || p.n) || md5('secret' || p.n)
FROM seed_projects p WHERE $1::int > 0`,
		},
		{
			label: 'organization_members',
			// Every user belongs to one organization (skewed towards the first ones);
			// every tenth user is also a member of organization 0, the largest.
			sql: `
INSERT INTO platform.organization_members (organization_id, user_id, role, joined_at)
SELECT o.id, u.id,
	CASE WHEN u.n % 40 = 0 THEN 'owner' WHEN u.n % 13 = 0 THEN 'admin' WHEN u.n % 11 = 0 THEN 'billing_admin' WHEN u.n % 3 = 0 THEN 'developer' ELSE 'member' END,
	now() - make_interval(days => u.n % 365)
FROM seed_users u
JOIN seed_orgs o ON o.n = floor((SELECT count(*) FROM seed_orgs) * power((u.n * 0.618034) % 1, 2))::int
UNION ALL
SELECT (SELECT id FROM seed_orgs WHERE n = 0), u.id, 'member', now() - make_interval(days => u.n % 200)
FROM seed_users u WHERE u.n % 10 = 5 AND $1::int > 0
ON CONFLICT (organization_id, user_id) DO NOTHING`,
		},
		{
			label: 'project_members',
			sql: `
INSERT INTO platform.project_members (project_id, user_id, role)
SELECT p.id, m.user_id, (ARRAY['admin', 'developer', 'read_only'])[1 + (p.n + m.rn) % 3]
FROM seed_projects p
JOIN LATERAL (
	SELECT om.user_id, row_number() OVER (ORDER BY om.user_id) AS rn
	FROM platform.organization_members om WHERE om.organization_id = p.organization_id LIMIT 4
) m ON true
WHERE $1::int > 0`,
		},
		{
			label: 'user_sessions',
			sql: `
INSERT INTO platform.user_sessions (user_id, token, refresh_token, ip_address, user_agent, expires_at, last_activity_at, created_at)
SELECT u.id, encode(sha256(convert_to('seed-session-' || i, 'UTF8')), 'hex'), encode(sha256(convert_to('seed-refresh-' || i, 'UTF8')), 'hex'),
	format('10.%s.%s.%s', i % 250, (i / 250) % 250, 1 + i % 200)::inet,
	(ARRAY['Mozilla/5.0 (Macintosh)', 'Mozilla/5.0 (Windows NT 10.0)', 'supabase-cli/1.200', 'node-fetch/3'])[1 + i % 4],
	CASE WHEN i % 10 = 0 THEN now() - make_interval(hours => 1 + i % 500) ELSE now() + make_interval(hours => 1 + i % 700) END,
	now() - make_interval(mins => i % 10000), now() - make_interval(hours => 24 + i % 2000)
FROM generate_series(1, 20000 * $1::int) AS i
JOIN seed_users u ON u.n = (i::bigint * 7919) % (2000 * $1::int)`,
		},
		{
			label: 'subscriptions',
			// The four plans come from 002; each organization subscribes to one of them.
			sql: `
INSERT INTO platform.subscriptions (organization_id, plan_id, plan_name, status, billing_cycle_anchor, current_period_start, current_period_end,
	next_invoice_at, usage_billing_enabled, spend_cap_enabled, stripe_customer_id, stripe_subscription_id)
SELECT o.id, bp.id, bp.name, CASE WHEN o.n % 23 = 0 THEN 'past_due' ELSE 'active' END,
	extract(epoch FROM date_trunc('month', now()))::bigint, extract(epoch FROM date_trunc('month', now()))::bigint,
	extract(epoch FROM date_trunc('month', now()) + interval '1 month')::bigint, extract(epoch FROM date_trunc('month', now()) + interval '1 month')::bigint,
	bp.price > 0, bp.id = 'pro', format('cus_seed_%s', o.n), format('sub_seed_%s', o.n)
FROM seed_orgs o
JOIN LATERAL (SELECT id, name, price FROM platform.billing_plans ORDER BY sort_order OFFSET o.n % 4 LIMIT 1) bp ON true
WHERE $1::int > 0`,
		},
		{
			label: 'invoices',
			sql: `
INSERT INTO platform.invoices (organization_id, stripe_invoice_id, invoice_number, amount_due, amount_paid, amount_remaining, currency, status,
	period_start, period_end, due_date, paid_at, created_at)
SELECT o.id, format('in_seed_%s_%s', o.n, m), format('INV-%s-%s', lpad(o.n::text, 5, '0'), lpad(m::text, 2, '0')), a.amount,
	CASE WHEN m = 1 THEN 0 ELSE a.amount END, CASE WHEN m = 1 THEN a.amount ELSE 0 END, 'usd', CASE WHEN m = 1 THEN 'open' ELSE 'paid' END,
	extract(epoch FROM date_trunc('month', now()) - make_interval(months => m))::bigint,
	extract(epoch FROM date_trunc('month', now()) - make_interval(months => m - 1))::bigint,
	extract(epoch FROM date_trunc('month', now()) - make_interval(months => m - 1) + interval '14 days')::bigint,
	CASE WHEN m = 1 THEN NULL ELSE extract(epoch FROM date_trunc('month', now()) - make_interval(months => m - 1) + interval '3 days')::bigint END,
	date_trunc('month', now()) - make_interval(months => m - 1)
FROM seed_orgs o CROSS JOIN generate_series(1, 12) AS m
CROSS JOIN LATERAL (SELECT (25 + (o.n * 131 + m * 17) % 600)::numeric AS amount) a
WHERE $1::int > 0`,
		},
		{
			label: 'payment_methods, tax_ids, customer_profiles, credits',
			sql: `
WITH pm AS (
	INSERT INTO platform.payment_methods (organization_id, stripe_payment_method_id, type, is_default, card_brand, card_last4, card_exp_month, card_exp_year, billing_details)
	SELECT o.id, format('pm_seed_%s', o.n), 'card', true, (ARRAY['visa', 'mastercard', 'amex'])[1 + o.n % 3], lpad(((o.n * 37) % 10000)::text, 4, '0'),
		1 + o.n % 12, 2027 + o.n % 4, jsonb_build_object('name', format('Organization %s', o.n))
	FROM seed_orgs o WHERE $1::int > 0
	RETURNING 1
), tax AS (
	INSERT INTO platform.tax_ids (organization_id, type, value, country, status)
	SELECT o.id, 'eu_vat', format('DE%s', lpad((100000000 + o.n)::text, 9, '0')), 'DE', 'verified' FROM seed_orgs o WHERE o.n % 4 = 0
	RETURNING 1
), cp AS (
	INSERT INTO platform.customer_profiles (organization_id, company_name, address_line1, city, postal_code, country)
	SELECT o.id, format('Organization %s Ltd', o.n), format('%s Main Street', o.n), 'Berlin', lpad((10000 + o.n)::text, 5, '0'), 'DE'
	FROM seed_orgs o
	RETURNING 1
)
INSERT INTO platform.credits (organization_id, amount, remaining, description, status, expires_at)
SELECT o.id, 10 * (1 + o.n % 5), 5 * (1 + o.n % 5), 'promotion', 'active', now() + interval '90 days' FROM seed_orgs o WHERE o.n % 3 = 0`,
		},
		{
			label: 'project configuration',
			sql: `
WITH d AS (
	INSERT INTO platform.disk_config (project_id, size_gb, io_budget, autoscale_enabled, status)
	SELECT p.id, 8 * (1 + p.n % 4), 3000, p.n % 2 = 0, 'active' FROM seed_projects p WHERE $1::int > 0
	RETURNING 1
), c AS (
	INSERT INTO platform.compute_config (project_id, instance_size, cpu_cores, memory_gb, architecture, is_dedicated, status)
	SELECT p.id, (ARRAY['micro', 'small', 'medium', 'large'])[1 + p.n % 4], 2 * (1 + p.n % 4), power(2, p.n % 4), 'x86_64', p.n % 4 = 3, 'active' FROM seed_projects p
	RETURNING 1
), a AS (
	INSERT INTO platform.addons (project_id, addon_type, addon_variant, quantity, price_per_unit, status)
	SELECT p.id, (ARRAY['compute_instance', 'pitr', 'custom_domain', 'ipv4'])[1 + p.n % 4], (ARRAY['ci_small', 'pitr_7', 'cd_default', 'ipv4_default'])[1 + p.n % 4], 1,
		(ARRAY[15, 100, 10, 4])[1 + p.n % 4], 'active'
	FROM seed_projects p WHERE p.n % 3 = 0
	RETURNING 1
)
INSERT INTO platform.project_addons (project_id, addon_id, addon_variant, quantity, price_per_unit, status)
SELECT p.id, (ARRAY['compute_instance', 'pitr', 'custom_domain', 'ipv4'])[1 + p.n % 4], 'default', 1, 10, 'active'
FROM seed_projects p
WHERE p.n % 2 = 0`,
		},
		{
			label: 'usage_metrics',
			sql: `
INSERT INTO platform.usage_metrics (organization_id, project_id, metric_type, metric_value, metric_unit, period_start, period_end, cost, created_at)
SELECT p.organization_id, p.id, m.metric, round((random() * 1000000)::numeric, 2), m.unit,
	date_trunc('day', now()) - make_interval(days => d), date_trunc('day', now()) - make_interval(days => d - 1),
	round((random() * 10)::numeric, 4), date_trunc('day', now()) - make_interval(days => d - 1)
FROM seed_projects p CROSS JOIN generate_series(1, 30) AS d
CROSS JOIN (VALUES ('egress', 'bytes'), ('db_size', 'bytes'), ('function_invocations', 'count'), ('storage_size', 'bytes')) AS m(metric, unit)
WHERE $1::int > 0`,
		},
		{
			label: 'project_metrics',
			sql: `
INSERT INTO platform.project_metrics (project_id, "timestamp", cpu_usage, memory_usage, disk_io_budget, disk_usage_gb, network_in_bytes, network_out_bytes, active_connections, query_count)
SELECT p.id, date_trunc('hour', now()) - make_interval(hours => h), round((random() * 100)::numeric, 2), round((random() * 100)::numeric, 2),
	round((random() * 100)::numeric, 2), round((random() * 8)::numeric, 3), (random() * 1e9)::bigint, (random() * 1e9)::bigint,
	(random() * 60)::int, (random() * 100000)::int
FROM seed_projects p CROSS JOIN generate_series(0, 23) AS h
WHERE $1::int > 0`,
		},
		{
			label: 'invitations, api_keys, feature_flags',
			sql: `
WITH inv AS (
	INSERT INTO platform.organization_invitations (organization_id, invited_email, invited_by, role, token, expires_at, accepted_at, created_at)
	SELECT o.id, format('invitee%s-%s@example.com', o.n, k), u.id, 'developer', encode(sha256(convert_to(format('seed-invite-%s-%s', o.n, k), 'UTF8')), 'hex'),
		now() + make_interval(days => 7 - k * 5), CASE WHEN k = 2 THEN now() - interval '1 day' END, now() - make_interval(days => k)
	FROM seed_orgs o CROSS JOIN generate_series(1, 2) AS k JOIN seed_users u ON u.n = o.n
	WHERE $1::int > 0
	RETURNING 1
), keys AS (
	INSERT INTO platform.api_keys (organization_id, user_id, name, key_prefix, key_hash, scopes, last_used_at)
	SELECT p.organization_id, u.id, format('key %s', k), format('sk_%s', substr(md5(p.n || '-' || k), 1, 8)),
		encode(sha256(convert_to(format('seed-api-key-%s-%s', p.n, k), 'UTF8')), 'hex'), '["read", "write"]'::jsonb, now() - make_interval(hours => p.n % 100)
	FROM seed_projects p CROSS JOIN generate_series(1, 2) AS k JOIN seed_users u ON u.n = p.n
	RETURNING 1
)
INSERT INTO platform.feature_flags (flag_key, flag_name, description, enabled, rollout_percentage)
SELECT format('flag_%s', i), format('Flag %s', i), format('Seeded feature flag %s', i), i % 2 = 0, (i * 10) % 101
FROM generate_series(1, 10) AS i
ON CONFLICT (flag_key) DO NOTHING`,
		},
		{
			label: 'organization_feature_flags',
			sql: `
INSERT INTO platform.organization_feature_flags (organization_id, flag_id, enabled)
SELECT o.id, f.id, (o.n + length(f.flag_key)) % 2 = 0
FROM seed_orgs o CROSS JOIN platform.feature_flags f
WHERE o.n % 5 = 0 AND $1::int > 0
ON CONFLICT (organization_id, flag_id) DO NOTHING`,
		},
		{
			label: 'audit_logs',
			// organization rank r = floor(count * u^3) for u spread over [0,1): organization 0
			// gets about a third of all rows; the tail organizations a few hundred each.
			sql: `
INSERT INTO platform.audit_logs (organization_id, project_id, user_id, event_type, resource_type, resource_id, action, ip_address, user_agent, metadata, severity, created_at)
SELECT o.id, NULL, u.id, e.event_type, e.resource_type, md5(i::text)::uuid, e.action,
	format('10.%s.%s.%s', i % 250, (i / 250) % 250, 1 + i % 200)::inet, 'Mozilla/5.0',
	jsonb_build_object('request_id', md5('req' || i), 'seq', i),
	CASE WHEN i % 97 = 0 THEN 'warning' WHEN i % 991 = 0 THEN 'error' ELSE 'info' END,
	now() - make_interval(secs => (i * 37) % 31536000)
FROM generate_series(1, 200000 * $1::int) AS i
JOIN seed_orgs o ON o.n = floor((SELECT count(*) FROM seed_orgs) * power((i * 0.6180339887) % 1, 3))::int
JOIN seed_users u ON u.n = (i::bigint * 104729) % (2000 * $1::int)
CROSS JOIN LATERAL (SELECT (ARRAY['project.create', 'project.update', 'member.invite', 'member.remove', 'database.backup', 'api_key.create', 'billing.update', 'auth.sign_in'])[1 + i % 8] AS event_type) ev
CROSS JOIN LATERAL (SELECT ev.event_type, split_part(ev.event_type, '.', 1) AS resource_type, split_part(ev.event_type, '.', 2) AS action) e`,
		},
	];
}

export async function seedData(target: Target, options: SeedOptions = {}): Promise<void> {
	const scale = options.scale ?? 1;
	if (!Number.isInteger(scale) || scale < 1 || scale > 1000) {
		throw new UserError(
			`The sandbox data scale must be a whole number from 1 to 1000, but it is \`${scale}\`. Scale 1 is about 200 000 audit log rows; pass a larger scale for a larger rehearsal database.`,
		);
	}
	const progress = options.onProgress ?? (() => undefined);
	const client = new (await pgDriver()).Client(target.clientConfig({application_name: 'runbook-sandbox-seed'}));
	await client.connect();
	try {
		await client.query(CREATE_APP_ROLE);
		await client.query('BEGIN');
		try {
			await client.query('SELECT setseed(0.42)');
			for (const step of steps()) {
				const result = await client.query(step.sql, [scale]).catch((error: unknown) => {
					throw new Error(`Seeding ${step.label} failed: ${error instanceof Error ? error.message : String(error)}`, {cause: error});
				});
				if (result.command === 'INSERT') progress(`${step.label}: ${result.rowCount ?? 0} rows`);
			}
			for (const grant of GRANTS) await client.query(grant);
			await client.query('COMMIT');
		} catch (error) {
			await client.query('ROLLBACK').catch(() => undefined);
			throw error;
		}
		progress('analyze');
		await client.query('VACUUM (ANALYZE) platform.audit_logs, platform.user_sessions, platform.organization_members');
		await client.query('ANALYZE');
	} finally {
		await client.end();
	}
}
