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
 * Sizes per scale N (rows): organizations 50·N (+ Lancio from 004), users
 * 2 000·N, user_sessions 20 000·N (90% unexpired), audit_logs 200 000·N
 * (skewed: the first organization has about a third of them), projects 3 per
 * organization, members, billing rows. Measured: scale 1 is 93 MB
 * (pg_database_size) and seeds in about 8 s; scale 11 is 989 MB, about 1 GB,
 * and seeded in 214 s on a busy 2-core machine. Size grows linearly.
 *
 * Every connection is closed before returning: the database is then used as a
 * TEMPLATE, which requires that nobody is connected to it.
 */
import pg from 'pg';
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
INSERT INTO platform.organizations (name, slug, billing_email, kind, created_at)
SELECT format('Organization %s', i), format('org-%s', lpad(i::text, 5, '0')), format('billing+%s@example.com', i),
	(ARRAY['personal', 'company', 'agency'])[1 + i % 3], now() - make_interval(days => 400 - (i % 365))
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
INSERT INTO platform.users (email, username, full_name, password_hash, is_active, last_sign_in_at, created_at)
SELECT format('user%s@example.com', i), format('user%s', i), format('User %s', i),
	'$2b$10$' || md5('seed-user-' || i), i % 50 <> 0, now() - make_interval(hours => i % 720), now() - make_interval(days => 1 + i % 400)
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
			sql: `
INSERT INTO platform.projects (organization_id, name, ref, region, cloud_provider, status, db_host, db_port, created_at)
SELECT o.id, format('Project %s-%s', o.n, k), format('prj-%s-%s', lpad(o.n::text, 5, '0'), k),
	(ARRAY['us-east-1', 'eu-west-1', 'ap-southeast-1'])[1 + (o.n + k) % 3], 'aws',
	CASE WHEN (o.n + k) % 17 = 0 THEN 'paused' ELSE 'active' END,
	format('db.prj-%s-%s.internal', o.n, k), 5432, now() - make_interval(days => 300 - o.n % 300)
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
INSERT INTO platform.user_sessions (user_id, token, ip_address, user_agent, expires_at, last_activity_at, created_at)
SELECT u.id, encode(sha256(convert_to('seed-session-' || i, 'UTF8')), 'hex'),
	format('10.%s.%s.%s', i % 250, (i / 250) % 250, 1 + i % 200)::inet,
	(ARRAY['Mozilla/5.0 (Macintosh)', 'Mozilla/5.0 (Windows NT 10.0)', 'supabase-cli/1.200', 'node-fetch/3'])[1 + i % 4],
	CASE WHEN i % 10 = 0 THEN now() - make_interval(hours => 1 + i % 500) ELSE now() + make_interval(hours => 1 + i % 700) END,
	now() - make_interval(mins => i % 10000), now() - make_interval(hours => 24 + i % 2000)
FROM generate_series(1, 20000 * $1::int) AS i
JOIN seed_users u ON u.n = (i::bigint * 7919) % (2000 * $1::int)`,
		},
		{
			label: 'billing',
			sql: `
INSERT INTO platform.billing_plans (plan_id, name, price_cents, billing_interval)
SELECT v.plan_id, v.name, v.price, 'month'
FROM (VALUES ('free', 'Free', 0), ('pro', 'Pro', 2500), ('team', 'Team', 59900), ('enterprise', 'Enterprise', 250000)) AS v(plan_id, name, price)
WHERE $1::int > 0
ON CONFLICT (plan_id) DO NOTHING`,
		},
		{
			label: 'addons',
			sql: `
INSERT INTO platform.addons (addon_type, variant, name, price_cents)
SELECT v.t, v.v, v.n, v.p
FROM (VALUES ('compute', 'small', 'Small compute', 1500), ('compute', 'large', 'Large compute', 11000),
	('pitr', '7d', 'Point in time recovery 7 days', 10000), ('custom_domain', 'default', 'Custom domain', 1000),
	('ipv4', 'default', 'Dedicated IPv4', 400)) AS v(t, v, n, p)
WHERE $1::int > 0
ON CONFLICT (addon_type, variant) DO NOTHING`,
		},
		{
			label: 'subscriptions',
			sql: `
INSERT INTO platform.subscriptions (organization_id, billing_plan_id, status, current_period_start, current_period_end)
SELECT o.id, (SELECT id FROM platform.billing_plans ORDER BY price_cents OFFSET o.n % 4 LIMIT 1),
	CASE WHEN o.n % 23 = 0 THEN 'past_due' ELSE 'active' END, date_trunc('month', now()), date_trunc('month', now()) + interval '1 month'
FROM seed_orgs o WHERE $1::int > 0`,
		},
		{
			label: 'invoices',
			sql: `
INSERT INTO platform.invoices (organization_id, subscription_id, number, amount_cents, status, period_start, period_end, issued_at, paid_at)
SELECT s.organization_id, s.id, format('INV-%s-%s', lpad(o.n::text, 5, '0'), lpad(m::text, 2, '0')), 2500 + (o.n * 131 + m * 17) % 60000,
	CASE WHEN m = 1 THEN 'open' ELSE 'paid' END,
	date_trunc('month', now()) - make_interval(months => m), date_trunc('month', now()) - make_interval(months => m - 1),
	date_trunc('month', now()) - make_interval(months => m - 1), CASE WHEN m = 1 THEN NULL ELSE date_trunc('month', now()) - make_interval(months => m - 1) + interval '3 days' END
FROM platform.subscriptions s JOIN seed_orgs o ON o.id = s.organization_id CROSS JOIN generate_series(1, 12) AS m
WHERE $1::int > 0`,
		},
		{
			label: 'payment_methods, tax_ids, customer_profiles, credits',
			sql: `
WITH pm AS (
	INSERT INTO platform.payment_methods (organization_id, provider_payment_method_id, card_brand, card_last4, exp_month, exp_year, is_default)
	SELECT o.id, format('pm_seed_%s', o.n), (ARRAY['visa', 'mastercard', 'amex'])[1 + o.n % 3], lpad(((o.n * 37) % 10000)::text, 4, '0'), 1 + o.n % 12, 2027 + o.n % 4, true
	FROM seed_orgs o WHERE $1::int > 0
	RETURNING 1
), tax AS (
	INSERT INTO platform.tax_ids (organization_id, type, value, country)
	SELECT o.id, 'eu_vat', format('DE%s', lpad((100000000 + o.n)::text, 9, '0')), 'DE' FROM seed_orgs o WHERE o.n % 4 = 0
	RETURNING 1
), cp AS (
	INSERT INTO platform.customer_profiles (organization_id, billing_name, address, provider_customer_id)
	SELECT o.id, format('Organization %s Ltd', o.n), jsonb_build_object('line1', format('%s Main Street', o.n), 'city', 'Berlin', 'country', 'DE'), format('cus_seed_%s', o.n)
	FROM seed_orgs o
	RETURNING 1
)
INSERT INTO platform.credits (organization_id, amount_cents, reason, expires_at)
SELECT o.id, 1000 * (1 + o.n % 5), 'promotion', now() + interval '90 days' FROM seed_orgs o WHERE o.n % 3 = 0`,
		},
		{
			label: 'project configuration',
			sql: `
WITH d AS (
	INSERT INTO platform.disk_config (project_id, size_gb, iops, disk_type)
	SELECT p.id, 8 * (1 + p.n % 4), 3000, 'gp3' FROM seed_projects p WHERE $1::int > 0
	RETURNING 1
), c AS (
	INSERT INTO platform.compute_config (project_id, instance_size, cpu_cores, memory_gb)
	SELECT p.id, (ARRAY['micro', 'small', 'medium', 'large'])[1 + p.n % 4], 2 * (1 + p.n % 4), power(2, p.n % 4) FROM seed_projects p
	RETURNING 1
)
INSERT INTO platform.project_addons (project_id, addon_id, quantity)
SELECT p.id, a.id, 1
FROM seed_projects p JOIN LATERAL (SELECT id FROM platform.addons ORDER BY addon_type, variant OFFSET p.n % 5 LIMIT 1) a ON true
WHERE p.n % 2 = 0`,
		},
		{
			label: 'usage_metrics',
			sql: `
INSERT INTO platform.usage_metrics (organization_id, project_id, metric, value, period_start, period_end, recorded_at)
SELECT p.organization_id, p.id, metric, round((random() * 1000000)::numeric, 2),
	date_trunc('day', now()) - make_interval(days => d), date_trunc('day', now()) - make_interval(days => d - 1),
	date_trunc('day', now()) - make_interval(days => d - 1)
FROM seed_projects p CROSS JOIN generate_series(1, 30) AS d CROSS JOIN unnest(ARRAY['egress_bytes', 'db_size_bytes', 'function_invocations', 'storage_bytes']) AS metric
WHERE $1::int > 0`,
		},
		{
			label: 'invitations, api_keys, feature_flags',
			sql: `
WITH inv AS (
	INSERT INTO platform.organization_invitations (organization_id, email, role, token_hash, expires_at, accepted_at, created_at)
	SELECT o.id, format('invitee%s-%s@example.com', o.n, k), 'developer', encode(sha256(convert_to(format('seed-invite-%s-%s', o.n, k), 'UTF8')), 'hex'),
		now() + make_interval(days => 7 - k * 5), CASE WHEN k = 2 THEN now() - interval '1 day' END, now() - make_interval(days => k)
	FROM seed_orgs o CROSS JOIN generate_series(1, 2) AS k WHERE $1::int > 0
	RETURNING 1
), keys AS (
	INSERT INTO platform.api_keys (organization_id, project_id, name, key_prefix, key_hash, scopes, last_used_at)
	SELECT p.organization_id, p.id, format('key %s', k), format('sk_%s', substr(md5(p.n || '-' || k), 1, 8)),
		encode(sha256(convert_to(format('seed-api-key-%s-%s', p.n, k), 'UTF8')), 'hex'), ARRAY['read', 'write'], now() - make_interval(hours => p.n % 100)
	FROM seed_projects p CROSS JOIN generate_series(1, 2) AS k
	RETURNING 1
)
INSERT INTO platform.feature_flags (name, description, enabled, rollout_percent)
SELECT format('flag_%s', i), format('Seeded feature flag %s', i), i % 2 = 0, (i * 10) % 101
FROM generate_series(1, 10) AS i
ON CONFLICT (name) DO NOTHING`,
		},
		{
			label: 'audit_logs',
			// organization rank r = floor(count * u^3) for u spread over [0,1): organization 0
			// gets about a third of all rows; the tail organizations a few hundred each.
			sql: `
INSERT INTO platform.audit_logs (organization_id, project_id, user_id, action, target_type, target_id, ip_address, user_agent, metadata, created_at)
SELECT o.id, NULL, u.id,
	(ARRAY['project.create', 'project.update', 'member.invite', 'member.remove', 'database.backup', 'api_key.create', 'billing.update', 'auth.sign_in'])[1 + i % 8],
	'project', md5(i::text), format('10.%s.%s.%s', i % 250, (i / 250) % 250, 1 + i % 200)::inet, 'Mozilla/5.0',
	jsonb_build_object('request_id', md5('req' || i), 'seq', i),
	now() - make_interval(secs => (i * 37) % 31536000)
FROM generate_series(1, 200000 * $1::int) AS i
JOIN seed_orgs o ON o.n = floor((SELECT count(*) FROM seed_orgs) * power((i * 0.6180339887) % 1, 3))::int
JOIN seed_users u ON u.n = (i::bigint * 104729) % (2000 * $1::int)`,
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
	const client = new pg.Client(target.clientConfig({application_name: 'runbook-sandbox-seed'}));
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
