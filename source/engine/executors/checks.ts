/**
 * Built-in checks the plan names without giving a query: connection
 * stability, the time window, long transactions before DDL, permission
 * errors in the server log, catalog object counts.
 */
import type {ActionContext, Outcome} from '../context.js';
import type {WithOf} from '../../plan/actions.js';
import {connect} from '../../db/connect.js';
import {scanLogForPermissionErrors} from '../../monitor/log-scan.js';
import {countCreatedObjects} from '../../report/count-objects.js';
import {improvements, measureSecurityPosture, postureLines, SECURITY_DATA_KEY} from '../../security/posture.js';

/** N fresh connections, each with a round trip: all succeed and none is slow. */
export async function runConnectionStability(ctx: ActionContext<WithOf<'connection-stability'>>): Promise<Outcome> {
	const {attempts, maxMs} = ctx.with;
	const times: number[] = [];
	const errors: string[] = [];
	for (let i = 0; i < attempts; i++) {
		const started = performance.now();
		try {
			const client = await connect(ctx.target, 'runbook:stability', {connectTimeoutMs: maxMs});
			await client.query('SELECT 1');
			await client.end();
			times.push(performance.now() - started);
			ctx.output(`connection ${i + 1}/${attempts}: ${times.at(-1)!.toFixed(1)} ms`);
		} catch (error) {
			errors.push((error as Error).message);
			ctx.output(`connection ${i + 1}/${attempts}: failed — ${(error as Error).message}`, 'stderr');
		}
	}
	const slow = times.filter((t) => t > maxMs);
	const ok = errors.length === 0 && slow.length === 0;
	const summary = `${times.length}/${attempts} connected, slowest ${times.length ? Math.max(...times).toFixed(1) : '-'} ms`;
	return {
		ok,
		evidence: {expected: `${attempts} of ${attempts} fresh connections succeed, each under ${maxMs} ms`, actual: summary},
		...(ok ? {} : {error: `The database connection is not stable: ${errors[0] ?? `${slow.length} slow connection(s)`}. This is a NO-GO condition.`}),
	};
}

/** The window must leave the plan's hour of troubleshooting: --window-end HH:MM (UTC) or an ISO time. */
export async function runTimeWindow(ctx: ActionContext<WithOf<'time-window'>>): Promise<Outcome> {
	const end = ctx.settings.options['window-end'];
	const needMinutes = ctx.with.minutes;
	if (!end) {
		return {ok: false, evidence: {expected: `window end given (--window-end)`, actual: 'not given'}, error: 'The execution window end is not known: pass --window-end HH:MM (UTC) so runbook can check that 15 minutes of execution and 1 hour of troubleshooting fit, or confirm it by hand at the gate.'};
	}
	const now = new Date();
	let endAt: Date;
	if (/^\d{1,2}:\d{2}$/.test(end)) {
		const [h, m] = end.split(':').map(Number) as [number, number];
		endAt = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), h, m));
		if (endAt < now) endAt = new Date(endAt.getTime() + 24 * 3600 * 1000);
	} else {
		endAt = new Date(end);
	}
	if (Number.isNaN(endAt.getTime())) return {ok: false, evidence: {actual: `unreadable: ${end}`}, error: `--window-end ${end} is not a time: give HH:MM (UTC) or an ISO date-time.`};
	const left = (endAt.getTime() - now.getTime()) / 60_000;
	const ok = left >= needMinutes;
	return {
		ok,
		evidence: {expected: `at least ${needMinutes} min left in the window`, actual: `${Math.floor(left)} min left until ${endAt.toISOString()}`},
		...(ok ? {} : {error: `Only ${Math.floor(left)} minutes are left in the window; the plan needs ${needMinutes} (execution plus an hour of troubleshooting). NO-GO: reschedule.`}),
	};
}

/** Defect #9: DDL waits behind long transactions, and everything queues behind the DDL. */
export async function runLongTransactions(ctx: ActionContext<WithOf<'long-transactions'>>): Promise<Outcome> {
	const maxSeconds = ctx.with.maxSeconds;
	const {rows} = await ctx.client.query<{pid: number; seconds: number; state: string; query: string; usename: string; application_name: string}>(
		`SELECT pid, extract(epoch FROM now() - xact_start)::int AS seconds, coalesce(state, '') AS state, left(coalesce(query, ''), 200) AS query,
		        coalesce(usename, '') AS usename, coalesce(application_name, '') AS application_name
		   FROM pg_stat_activity
		  WHERE datname = current_database() AND pid <> pg_backend_pid() AND xact_start IS NOT NULL
		    AND now() - xact_start > make_interval(secs => $1)
		  ORDER BY xact_start`,
		[maxSeconds],
	);
	const lines = rows.map((r) => `pid ${r.pid} (${r.usename}, ${r.application_name || '?'}) ${r.state}, transaction open ${r.seconds}s: ${r.query.replace(/\s+/g, ' ')}`);
	for (const l of lines) ctx.output(l);
	return {
		ok: rows.length === 0,
		evidence: {command: 'pg_stat_activity: transactions open longer than the threshold', expected: `no transaction open longer than ${maxSeconds}s`, actual: rows.length === 0 ? 'none' : lines.join('; '), outputTail: lines},
		...(rows.length === 0 ? {} : {error: `${rows.length} transaction(s) have been open longer than ${maxSeconds}s; the migrations' ALTER TABLE would queue behind them and block the application. Ask them to finish, or terminate them, before GO.`}),
	};
}

/** "Zero permission-denied errors in logs": counts SQLSTATE 42501 in the server log (--server-log). */
export async function runPermissionErrors(ctx: ActionContext<WithOf<'permission-errors'>>): Promise<Outcome> {
	const scan = await scanLogForPermissionErrors(ctx.settings.options['server-log'], {secrets: ctx.target.secrets});
	for (const s of scan.samples) ctx.output(s);
	const ok = scan.status === 'clean';
	return {
		ok,
		evidence: {command: `scan ${scan.logFile ?? '(no log given)'} for SQLSTATE 42501 / permission denied`, expected: '0 permission errors', actual: scan.message, outputTail: [...scan.samples]},
		...(ok ? {} : {error: scan.message}),
	};
}

export async function runObjectCounts(ctx: ActionContext<WithOf<'object-counts'>>): Promise<Outcome> {
	const counts = await countCreatedObjects(ctx.client);
	const key = ctx.with.key;
	ctx.setData(key, counts);
	const text = `${counts.tables} tables, ${counts.indexes} indexes, ${counts.functions} functions, ${counts.views} views, ${counts.triggers} triggers, ${counts.policies} policies in schema platform`;
	ctx.output(text);
	return {ok: true, evidence: {command: 'count objects in schema platform (pg_catalog)', expected: 'counted', actual: text, details: counts}};
}

/** What changed for security and what did not (the report's security line): passes when every improvement 006 promises holds. */
export async function runSecurityPosture(ctx: ActionContext<WithOf<'security-posture'>>): Promise<Outcome> {
	const posture = await measureSecurityPosture(ctx.client);
	ctx.setData(SECURITY_DATA_KEY, posture);
	const improved = improvements(posture);
	const text = postureLines(posture);
	const lines = [text.encrypted, text.plaintext, ...improved.map((i) => `${i.holds ? 'improved' : 'NOT improved'}: ${i.what}`)];
	for (const l of lines) ctx.output(l);
	const missing = improved.filter((i) => !i.holds);
	return {
		ok: missing.length === 0,
		evidence: {command: 'catalog and row counts of platform.databases (no value read)', expected: improved.map((i) => i.what).join('; '), actual: lines.join(' '), outputTail: lines, details: posture},
		...(missing.length === 0 ? {} : {error: `Not improved: ${missing.map((i) => i.what).join('; ')}. "Security posture improved" cannot be claimed for these.`}),
	};
}
