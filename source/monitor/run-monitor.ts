/**
 * `runbook monitor`: the plan's post-migration monitoring as one call.
 *
 * - slow statements from pg_stat_statements, compared with the baseline;
 * - permission errors counted from the server log (SQLSTATE 42501), since
 *   pg_stat_statements never sees failed statements; pg_stat_database's
 *   rollback / conflict / deadlock counters as a proxy;
 * - the weeks 2–4 checks (RLS active, registrations intact, decryption works).
 *
 * `ok` is false when a check fails or the log shows permission errors. Slow
 * statements are reported as alerts, not failures: their mean covers every
 * parameter the application used, so it is a lead to follow, not a verdict.
 */
import type pg from 'pg';
import {connect} from '../db/connect.js';
import type {ClientBase} from 'pg';
import type {Target} from '../db/target.js';
import {redact} from '../db/target.js';
import {UserError, errorMessage} from '../errors.js';
import type {BaselineResult} from '../baseline/result.js';
import {slowStatements, type StatementsSection} from './statements.js';
import {scanLogForPermissionErrors, type PermissionScan} from './log-scan.js';
import {databaseActivity, stabilityChecks, type Activity, type MonitorCheck} from './checks.js';

export type MonitorOptions = {
	readonly target?: Target;
	/** An open client to use instead of connecting (left open). */
	readonly client?: ClientBase;
	/** The "before" (or latest) baseline to compare slow statements with. */
	readonly baseline?: BaselineResult;
	/** PostgreSQL server log to count permission errors in. */
	readonly logFile?: string;
	/** Statements averaging more than this are slow (default 100 ms, as in the plan). */
	readonly minMeanMs?: number;
	/** At most this many slow statements (default 20, as in the plan). */
	readonly limit?: number;
	/** Schema of the platform tables (default platform). */
	readonly schema?: string;
	/** Session settings for the checks (e.g. app.database_encryption_key), never printed. */
	readonly settings?: Readonly<Record<string, string>>;
};

export type MonitorResult = {
	readonly checkedAt: string;
	readonly durationMs: number;
	/** user@host:port/db, no secret. */
	readonly database: string;
	readonly serverVersion: string;
	readonly serverVersionNum: number;
	readonly statements: StatementsSection;
	readonly permissionErrors: PermissionScan;
	readonly activity: Activity;
	readonly checks: readonly MonitorCheck[];
	/** No failing check and no permission error in the log. */
	readonly ok: boolean;
	/** What needs a look, one line each. */
	readonly alerts: readonly string[];
};

export async function runMonitor(options: MonitorOptions): Promise<MonitorResult> {
	if (options.target === undefined && options.client === undefined) throw new UserError('runMonitor needs a target or a client. This is a bug in runbook.');
	const started = Date.now();
	const secrets = [...(options.target?.secrets ?? []), ...Object.values(options.settings ?? {}).filter((v) => v.length >= 3)];
	let own: pg.Client | undefined;
	let client: ClientBase;
	if (options.client !== undefined) {
		client = options.client;
	} else {
		const target = options.target!;
		own = await connect(target, 'runbook-monitor');
		client = own;
	}
	try {
		const info = await client.query<{version: string; num: string; db: string; usr: string}>(
			`SELECT current_setting('server_version') AS version, current_setting('server_version_num') AS num, current_database() AS db, current_user AS usr`,
		);
		const server = info.rows[0]!;
		const serverVersionNum = Number(server.num);
		const minMeanMs = options.minMeanMs ?? 100;
		const statements = await slowStatements(client, {
			minMeanMs,
			limit: options.limit ?? 20,
			serverVersionNum,
			secrets,
			...(options.baseline === undefined ? {} : {baseline: options.baseline}),
		});
		const activity = await databaseActivity(client);
		const checks = await stabilityChecks(client, {schema: options.schema ?? 'platform', secrets, ...(options.settings === undefined ? {} : {settings: options.settings})});
		const permissionErrors = await scanLogForPermissionErrors(options.logFile, {secrets});
		const alerts: string[] = [];
		for (const check of checks) if (check.status === 'fail') alerts.push(`${check.title}: ${check.detail}`);
		if (permissionErrors.status === 'errors') alerts.push(permissionErrors.message);
		if (permissionErrors.status === 'unreadable') alerts.push(permissionErrors.message);
		if (statements.status === 'slow') alerts.push(statements.message);
		if (statements.status === 'not-installed' || statements.status === 'not-preloaded' || statements.status === 'unavailable') alerts.push(statements.message);
		for (const match of statements.baseline) {
			if (match.ratio !== null && match.ratio > 1.1) {
				alerts.push(`${match.id}: the application's mean ${match.meanMs} ms is ${match.ratio}× the baseline median ${match.baselineMedianMs} ms.`);
			}
		}
		if (activity.deadlocks > 0) alerts.push(`${activity.deadlocks} deadlock(s) since the statistics were reset.`);
		const ok = checks.every((c) => c.status !== 'fail') && permissionErrors.status !== 'errors';
		return {
			checkedAt: new Date(started).toISOString(),
			durationMs: Date.now() - started,
			database: options.target?.display ?? `${server.usr}@${server.db}`,
			serverVersion: server.version,
			serverVersionNum,
			statements,
			permissionErrors,
			activity,
			checks,
			ok,
			alerts,
		};
	} finally {
		if (own !== undefined) await own.end().catch(() => undefined);
	}
}
