/**
 * The plan's last mile: Railway variables, registration with parameters (the
 * plan's Option B done right), health checks, application checks.
 */
import type {ActionContext, ExecContext, Outcome} from '../context.js';
import type {WithOf} from '../../plan/actions.js';
import {readRailwayVariables, type RailwayVariables} from '../../railway/variables.js';
import {registerRailwayDatabases} from '../../railway/register.js';
import {checkRegisteredDatabases} from '../../health/check-registered.js';
import {checkApplication} from '../../app-check/http.js';

/** Read once per run (and set of values): every Railway item of the run sees the same variables. */
function variables(ctx: ExecContext): Promise<RailwayVariables> {
	const key = JSON.stringify(['REDIS_URL', 'REDIS_PUBLIC_URL', 'MONGODB_URL', 'MONGO_URL'].map((n) => ctx.settings.env[n] ?? ''));
	return ctx.memo(`railway-variables:${key}`, () => readRailwayVariables({env: ctx.settings.env}));
}

/**
 * with.check:
 *   cli       — the plan's `railway status` (only when the CLI is installed and linked);
 *   variable  — with.name must be present (with.optional: absent is fine, "if applicable");
 *   service   — with.service (redis|mongodb) is deployed: its URL is present and parses.
 */
export async function runRailwayVariables(ctx: ActionContext<WithOf<'railway-variables'>>): Promise<Outcome> {
	const w = ctx.with;
	const vars = await variables(ctx);
	ctx.output(vars.cli.message, 'info');
	for (const v of vars.variables) ctx.output(`${v.name}: ${v.present ? `${v.masked} (from ${v.source})` : 'not set'}${v.problem ? ` — ${v.problem}` : ''}`);
	const summary = vars.variables.map((v) => `${v.name}=${v.present ? v.masked : '(unset)'}`);
	ctx.setData('railway-variables', {cli: vars.cli, variables: vars.variables});
	const check = w.check;
	if (check === 'cli') {
		const ok = vars.cli.state !== 'failed' && vars.cli.state !== 'not-linked';
		return {ok, evidence: {command: 'railway status', expected: 'linked, or not installed (then the environment is used)', actual: vars.cli.message, outputTail: summary}, ...(ok ? {} : {error: `${vars.cli.message}. Run \`railway link\` in this directory, or uninstall nothing and set the variables in the environment.`})};
	}
	if (check === 'expected') {
		const lines = vars.variables.map((v) => `${v.name} (${v.requirement}): ${v.present ? v.masked : 'not set'}${v.problem ? ` — ${v.problem}` : ''}`);
		return {
			ok: vars.ok,
			evidence: {command: vars.cli.state === 'linked' ? 'railway variables --json' : 'environment', expected: 'REDIS_URL (required), REDIS_PUBLIC_URL (expected), MONGODB_URL or MONGO_URL (if MongoDB is used)', actual: [...lines, ...vars.notes].join('; '), outputTail: [...lines, ...vars.notes]},
			...(vars.ok ? {} : {error: vars.failures.join(' ')}),
		};
	}
	if (check === 'service') {
		const service = w.service;
		const optional = w.optional;
		const url = service === 'redis' ? vars.redis : vars.mongo;
		const names = service === 'redis' ? ['REDIS_URL'] : ['MONGODB_URL', 'MONGO_URL'];
		const reports = vars.variables.filter((v) => names.includes(v.name));
		const problem = reports.find((r) => r.problem)?.problem;
		if (!url && optional && !problem) {
			return {ok: true, evidence: {expected: `${names.join(' or ')} set if ${service} is used`, actual: `not set: ${service} is not used (optional, "if applicable")`, outputTail: summary}, note: 'not applicable'};
		}
		const ok = Boolean(url);
		return {
			ok,
			evidence: {expected: `${names.join(' or ')} set to a ${service} URL`, actual: ok ? `${reports.find((r) => r.present)?.masked ?? ''}` : (problem ?? 'not set'), outputTail: summary},
			...(ok ? {} : {error: `${service === 'redis' ? 'Railway Redis' : 'Railway MongoDB'} is not reachable from this plan: ${problem ?? `${names.join(' / ')} is not set`}. Set it in the environment (railway variables -s <service> --kv shows the value) and retry.`}),
		};
	}
	const name = w.name ?? '';
	const names = name === 'MONGODB_URL' ? ['MONGODB_URL', 'MONGO_URL'] : [name];
	const report = vars.variables.find((v) => names.includes(v.name) && v.present);
	const optional = w.optional;
	if (!report && optional) return {ok: true, evidence: {expected: `${names.join(' or ')} set (if applicable)`, actual: 'not set: not applicable', outputTail: summary}, note: 'not applicable'};
	const ok = Boolean(report) && !report?.problem;
	return {
		ok,
		evidence: {expected: `${names.join(' or ')} set`, actual: report ? `${report.name}=${report.masked}${report.problem ? ` (${report.problem})` : ''}` : 'not set', outputTail: summary},
		...(ok ? {} : {error: report?.problem ?? `${name} is not set. Export it (Railway: \`railway variables --kv\` shows it) before running, then retry.`}),
	};
}

/** with.checks: which registration checks this item asserts (rows, active, encrypted, decryptable, no-placeholder); default all. */
export async function runRegister(ctx: ActionContext<WithOf<'register-railway'>>): Promise<Outcome> {
	const w = ctx.with;
	let result = ctx.state().data.registration;
	if (!result || w.register) {
		const vars = await variables(ctx);
		if (!vars.redis) {
			return {ok: false, evidence: {expected: 'REDIS_URL set', actual: 'not set'}, error: 'REDIS_URL is not set, so Railway Redis cannot be registered. Set it and retry.'};
		}
		const projectRef = ctx.settings.options['project-ref'];
		result = await registerRailwayDatabases({
			client: ctx.client,
			...(projectRef ? {projectRef} : {}),
			redisUrl: vars.redis.raw,
			...(vars.mongo ? {mongoUrl: vars.mongo.raw} : {}),
		});
		ctx.setData('registration', result);
	}
	const wanted: readonly string[] = w.checks ?? [];
	const checks = wanted.length > 0 ? result.checks.filter((c) => wanted.includes(c.id)) : result.checks;
	for (const row of result.rows) ctx.output(`${row.name} (${row.type}): ${row.action}, status ${row.status}, ${row.host}:${row.port}, encrypted ${row.encrypted ? 't' : 'f'}, connection_string is the URL ${row.urlMatches ? 't' : 'f'}${row.masked ? `, ${row.masked}` : ''}`);
	const lines = checks.map((c) => `${c.status.toUpperCase()} ${c.title}: expected ${c.expected}; got ${c.actual}`);
	for (const l of lines) ctx.output(l);
	const failed = checks.filter((c) => c.status === 'fail');
	return {
		ok: failed.length === 0 && checks.length > 0,
		evidence: {
			command: 'UPDATE platform.databases … WHERE project_id = $1 AND name = $2 (parameters, never text)',
			expected: checks.map((c) => `${c.title}: ${c.expected}`).join('; '),
			actual: checks.map((c) => `${c.status.toUpperCase()} ${c.actual}`).join('; '),
			outputTail: lines,
		},
		...(failed.length === 0 ? {} : {error: `Registration check failed: ${failed.map((c) => `${c.title} (expected ${c.expected}; got ${c.actual})`).join('; ')}`, matrixRow: 'encryption'}),
	};
}

export async function runHealthCheck(ctx: ActionContext<WithOf<'health-check'>>): Promise<Outcome> {
	const vars = await variables(ctx);
	const projectRef = ctx.settings.options['project-ref'];
	const rows = await checkRegisteredDatabases({
		target: ctx.client,
		...(projectRef ? {projectRef} : {}),
		...(vars.redisProbe ? {redisUrl: vars.redisProbe.raw} : {}),
		timeoutMs: ctx.with.timeoutMs,
	});
	ctx.setData('health', rows);
	const lines = rows.map((r) => `${r.name} (${r.type}): ${r.status}${r.latencyMs === null ? '' : ` in ${r.latencyMs} ms`}${r.error ? ` — ${r.error}` : ''}${r.recorded ? ' (recorded with update_database_health)' : ''}`);
	for (const l of lines) ctx.output(l);
	// Redis is required by the plan; MongoDB is "if applicable": unhealthy MongoDB is reported, not fatal.
	const failing = rows.filter((r) => r.status === 'unhealthy' && r.type === 'redis');
	const probed = rows.filter((r) => r.status !== 'skipped');
	return {
		ok: failing.length === 0 && probed.length > 0,
		evidence: {command: 'Redis PING / MongoDB ping per registered database; SELECT platform.update_database_health($1, $2, $3)', expected: 'Redis healthy; every active database probed and recorded', actual: lines.join('; ') || 'no active database registered', outputTail: lines},
		...(failing.length === 0 && probed.length > 0 ? {} : {error: probed.length === 0 ? 'No active registered database to check: the registration did not run or left every row inactive.' : `Unhealthy: ${failing.map((r) => `${r.name}: ${r.error ?? ''}`).join('; ')}`}),
	};
}

export async function runAppChecks(ctx: ExecContext): Promise<Outcome> {
	const org = ctx.settings.options['org-id'] ?? (await ctx.client.query<{id: string}>(`SELECT organization_id AS id FROM platform.audit_logs GROUP BY 1 ORDER BY count(*) DESC LIMIT 1`)).rows[0]?.id ?? '';
	const result = await checkApplication({baseUrl: ctx.settings.appUrl!, token: ctx.settings.appToken ?? '', organizationId: org});
	const lines = result.endpoints.map((e) => `${e.ok ? 'PASS' : 'FAIL'} GET ${e.path}: ${e.status ?? 'no answer'} in ${e.latencyMs} ms${e.error ? ` — ${e.error}` : ''}`);
	for (const l of lines) ctx.output(l);
	ctx.setData('app-checks', result.endpoints);
	return {
		ok: result.ok,
		evidence: {command: `GET ${ctx.settings.appUrl} + the plan's 4 endpoints (Authorization: Bearer ****)`, expected: 'every endpoint 200, no 403', actual: result.summary, outputTail: lines},
		...(result.ok ? {} : {error: result.summary, ...(result.matrixRow ? {matrixRow: result.matrixRow} : {})}),
	};
}
