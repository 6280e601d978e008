/**
 * One run per plan and target database: a session-level advisory lock held by
 * a dedicated connection for the whole run. When the runbook dies (Ctrl-C,
 * kill -9, lost SSH), its connection closes and the server releases the lock
 * with the session: there is never a stale lock to clear by hand.
 */
import type pg from 'pg';
import os from 'node:os';
import type {Target} from './target.js';
import {connect} from './connect.js';
import {RUN_LOCK_CLASS, planLockKey} from './ledger.js';
import {UserError} from '../errors.js';

export type RunLock = {
	readonly client: pg.Client;
	readonly release: () => Promise<void>;
};

export function runApplicationName(planId: string): string {
	// Visible in pg_stat_activity: who holds the lock, from where, since when.
	return `runbook:${planId}:${os.hostname()}:${process.pid}`.slice(0, 63);
}

export async function acquireRunLock(target: Target, planId: string): Promise<RunLock> {
	const client = await connect(target, runApplicationName(planId));
	const key = planLockKey(planId);
	const {rows} = await client.query<{ok: boolean}>('SELECT pg_try_advisory_lock($1, $2) AS ok', [RUN_LOCK_CLASS, key]);
	if (!rows[0]?.ok) {
		const holder = await client.query<{pid: number; application_name: string; client_addr: string | null; backend_start: Date; usename: string}>(
			`SELECT a.pid, a.application_name, host(a.client_addr) AS client_addr, a.backend_start, a.usename
			   FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
			  WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) AND l.classid = $1::bigint::oid AND l.objid = $2::bigint::oid AND l.objsubid = 2`,
			[RUN_LOCK_CLASS >>> 0, key >>> 0],
		);
		await client.end().catch(() => undefined);
		const h = holder.rows[0];
		const parts = h?.application_name.split(':') ?? [];
		const who = h
			? `runbook process ${parts[3] ?? '?'} on host ${parts[2] ?? h.client_addr ?? '?'} (server pid ${h.pid}, user ${h.usename}, connected since ${h.backend_start.toISOString()})`
			: 'another session';
		throw new UserError(
			`Another run of plan ${planId} is already in progress on ${target.display}: ${who} holds the run lock. Only one runbook may drive a target at a time. Watch it with \`runbook watch\`, or wait for it to finish; if that process is gone, the server releases its lock as soon as its connection closes.`,
			{exitCode: 2},
		);
	}
	return {
		client,
		release: async () => {
			await client.query('SELECT pg_advisory_unlock($1, $2)', [RUN_LOCK_CLASS, key]).catch(() => undefined);
			await client.end().catch(() => undefined);
		},
	};
}
