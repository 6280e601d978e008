/**
 * A steady application-like workload with pgbench: a custom script that reads
 * and writes platform tables, at a fixed rate (-R), with a per-transaction log
 * (-l) so latencies can be cut to any time window.
 */
import {readdirSync, readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {runChild, type ChildResult} from '../source/proc/child.js';
import type {Target} from '../source/db/target.js';
import {percentile, round} from './stats.js';

/** One "request": look a user up by email, read their organization's projects, record a sign-in, append an audit log row. */
export const WORKLOAD = `\\set n random(1, 2000)
SELECT id, email, mfa_enabled FROM platform.users WHERE email = 'user' || :n || '@example.com';
SELECT p.id, p.name FROM platform.projects p JOIN platform.organizations o ON o.id = p.organization_id WHERE o.slug = 'lancio';
UPDATE platform.users SET last_sign_in_at = now() WHERE email = 'user' || :n || '@example.com';
INSERT INTO platform.audit_logs (organization_id, event_type, resource_type, action, severity) SELECT id, 'bench.request', 'user', 'request', 'info' FROM platform.organizations WHERE slug = 'lancio';
`;

/**
 * A request that forms lock cycles with Step 2, which enables RLS on the
 * platform tables one by one in name order: in one transaction it writes
 * users first, then audit_logs (earlier in that order). While Step 2 holds
 * audit_logs and waits for users, this transaction holds users and waits for
 * audit_logs: whichever gives way first breaks the cycle.
 */
export const CYCLE_WORKLOAD = `\\set n random(1, 2000)
BEGIN;
UPDATE platform.users SET last_sign_in_at = now() WHERE email = 'user' || :n || '@example.com';
SELECT pg_sleep(0.005);
INSERT INTO platform.audit_logs (organization_id, event_type, resource_type, action, severity) SELECT id, 'bench.cycle', 'user', 'request', 'info' FROM platform.organizations WHERE slug = 'lancio';
COMMIT;
`;

export type Transaction = {readonly endAt: number; readonly latencyMs: number; readonly failed: boolean};

export type WorkloadRun = {
	readonly result: ChildResult;
	readonly transactions: readonly Transaction[];
	/** Clients that pgbench aborted on an error, failed transactions, as pgbench reports them. */
	readonly errors: number;
	readonly errorLines: readonly string[];
};

export type LatencySummary = {readonly count: number; readonly p50: number; readonly p99: number; readonly max: number; readonly errors: number};

export function startWorkload(input: {target: Target; dir: string; seconds: number; rate: number; clients: number; script?: string}): Promise<WorkloadRun> {
	const script = path.join(input.dir, 'workload.sql');
	writeFileSync(script, input.script ?? WORKLOAD);
	const prefix = path.join(input.dir, 'pgbench');
	return runChild({
		file: 'pgbench',
		args: ['-n', '-c', String(input.clients), '-j', '2', '-R', String(input.rate), '-T', String(input.seconds), '-f', script, '-l', `--log-prefix=${prefix}`, '-P', '1'],
		env: input.target.childEnv(),
		cwd: input.dir,
		tailLines: 400,
	}).then((result) => {
		const transactions: Transaction[] = [];
		let failedInLog = 0;
		for (const name of readdirSync(input.dir).filter((f) => f.startsWith('pgbench.'))) {
			for (const line of readFileSync(path.join(input.dir, name), 'utf8').split('\n')) {
				// client_id transaction_no time script_no time_epoch time_us [schedule_lag]
				const parts = line.trim().split(/\s+/);
				if (parts.length < 6) continue;
				const endAt = Number(parts[4]) * 1000 + Number(parts[5]) / 1000;
				if (parts[2] === 'failed') {
					failedInLog += 1;
					transactions.push({endAt, latencyMs: Number.NaN, failed: true});
				} else {
					transactions.push({endAt, latencyMs: Number(parts[2]) / 1000, failed: false});
				}
			}
		}
		const errorLines = result.tail.map((l) => l.line).filter((l) => /abort|ERROR|FATAL|failed transactions: [1-9]/i.test(l));
		const aborted = result.tail.filter((l) => /client \d+ aborted/.test(l.line)).length;
		const failedSummary = /number of failed transactions: (\d+)/.exec(result.tail.map((l) => l.line).join('\n'));
		return {result, transactions, errors: Math.max(failedInLog, Number(failedSummary?.[1] ?? 0)) + aborted, errorLines};
	});
}

/** Latencies of the transactions that ended in [from, to] (epoch ms); each transaction's start is its end minus its latency. */
export function summarize(run: WorkloadRun, from: number, to: number): LatencySummary {
	const inWindow = run.transactions.filter((t) => t.endAt >= from && t.endAt - (Number.isNaN(t.latencyMs) ? 0 : t.latencyMs) <= to);
	const ok = inWindow.filter((t) => !t.failed).map((t) => t.latencyMs);
	return {count: inWindow.length, p50: round(percentile(ok, 50), 1), p99: round(percentile(ok, 99), 1), max: round(Math.max(...ok), 1), errors: inWindow.filter((t) => t.failed).length};
}
