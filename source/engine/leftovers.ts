/**
 * What a run created and did not release (its open resource records), settled
 * on --resume and by `runbook cleanup`, in a safe order:
 *
 *   1. children (psql, pg_dump, pg_restore) and servers of the dead run, found
 *      by pid (same host, same binary) and by application_name in
 *      pg_stat_activity: waited for when their work commits by itself (a
 *      migration's psql), ended when it is discarded anyway (pg_dump, a
 *      restore into a scratch database);
 *   2. database settings to undo (ALLOW_CONNECTIONS false mid-switch);
 *   3. databases: scratch ones dropped; one that holds data (the pre-restore
 *      copy of rollback level 3) only when the operator says so;
 *   4. files and directories.
 *
 * Every decision is journaled as `resource-released` (or left open, with the
 * reason returned), and each line says what was done.
 */
import {readFileSync, readdirSync} from 'node:fs';
import path from 'node:path';
import {rm} from 'node:fs/promises';
import os from 'node:os';
import type pg from 'pg';
import type {Target} from '../db/target.js';
import {redact} from '../db/target.js';
import {withClient} from '../db/connect.js';
import {UserError, errorMessage} from '../errors.js';
import type {ResourceRecord} from '../state/resources.js';
import type {ResourceKind} from '../proc/resource.js';
import {exists} from '../backup/dump.js';

export type LeftoverOutcome = {
	readonly resource: ResourceRecord;
	/** released: gone (or found gone) and journaled; kept: left in place and still listed; unreachable: could not be checked. */
	readonly outcome: 'released' | 'kept' | 'unreachable';
	readonly how: string;
};

export type LeftoverOptions = {
	/** The run's target (maintenance connections go to its server's `postgres` database); none for a rehearsal's own journal (servers and files only). */
	readonly target?: Target;
	/** TEST_DATABASE_URL, for scratch databases made there. */
	readonly testTarget?: Target;
	/** Journals a release. */
	readonly release: (id: string, how: string) => void;
	/** Journals what became known (a pre-restore copy's current size). */
	readonly update?: (id: string, patch: {bytes?: number}) => void;
	/**
	 * For what holds data: 'drop' removes it, 'forget' keeps it and stops
	 * tracking it (the operator owns it now), 'keep' leaves it listed.
	 * Default: keep.
	 */
	readonly decide?: (resource: ResourceRecord) => Promise<'drop' | 'forget' | 'keep'>;
	/** How long to wait for an orphan whose work commits by itself (default 60 s). */
	readonly waitMs?: number;
	readonly log?: (line: string) => void;
};

const ORDER: Record<ResourceKind, number> = {process: 0, server: 1, setting: 2, database: 3, file: 4, directory: 5};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The pid is a live process of that binary on this host (not a zombie, not a reused pid). */
export function processAlive(pid: number, name: string): boolean {
	try {
		const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
		if (/^\d+ \(.*\) Z/.test(stat)) return false;
		const argv0 = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] ?? '';
		return argv0.split('/').pop()?.startsWith(name) === true || argv0.includes(name);
	} catch {
		return false;
	}
}

function onThisHost(r: ResourceRecord): boolean {
	return r.pid !== undefined && (r.host === undefined || r.host === os.hostname());
}

function maintenanceFor(r: ResourceRecord, options: LeftoverOptions): Target | undefined {
	if (r.via === 'test-target') return options.testTarget;
	return options.target?.withDatabase('postgres');
}

async function sessionsNamed(client: pg.ClientBase, applicationName: string): Promise<number[]> {
	const {rows} = await client.query<{pid: number}>('SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()', [applicationName]);
	return rows.map((r) => r.pid);
}

async function settleChild(r: ResourceRecord, options: LeftoverOptions): Promise<string> {
	const local = onThisHost(r);
	const maintenance = maintenanceFor(r, options);
	const look = async (): Promise<{alive: boolean; sessions: number[]}> => ({
		alive: local && processAlive(r.pid!, r.name),
		sessions: r.applicationName && maintenance ? await withClient(maintenance, 'runbook-cleanup', (c) => sessionsNamed(c, r.applicationName!)).catch(() => []) : [],
	});
	const who = `${r.name}${r.pid === undefined ? '' : ` (pid ${r.pid}${r.host && !local ? ` on ${r.host}` : ''})`}${r.applicationName ? ` / session ${r.applicationName}` : ''}`;
	let now = await look();
	if (!now.alive && now.sessions.length === 0) return `the orphaned ${who} had already exited; nothing to wait for`;
	if (r.onOrphan === 'wait') {
		const started = Date.now();
		const limit = options.waitMs ?? 60_000;
		options.log?.(`waiting for the orphaned ${who} of the killed run to finish (its transaction commits or rolls back by itself) …`);
		while (now.alive || now.sessions.length > 0) {
			if (Date.now() - started > limit) {
				throw new UserError(
					`The orphaned ${who} of the killed run is still running after ${Math.round(limit / 1000)} s. It is inside its own transaction, which the ledger will show as committed or not once it ends. Wait for it, or end it yourself (kill ${r.pid ?? '<pid>'}, or SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '${r.applicationName ?? ''}'), then --resume again.`,
				);
			}
			await sleep(250);
			now = await look();
		}
		return `waited ${((Date.now() - started) / 1000).toFixed(1)} s for the orphaned ${who} to finish by itself`;
	}
	// Its work is discarded anyway: end it (the process, then its session).
	const done: string[] = [];
	if (now.alive) {
		try {
			process.kill(r.pid!, 'SIGTERM');
			done.push(`SIGTERM to pid ${r.pid}`);
		} catch {
			// gone meanwhile
		}
	}
	if (now.sessions.length > 0 && maintenance) {
		const n = await withClient(maintenance, 'runbook-cleanup', async (c) => {
			const {rows} = await c.query<{n: string}>('SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::text AS n FROM pg_stat_activity WHERE application_name = $1', [r.applicationName]);
			return Number(rows[0]?.n ?? 0);
		});
		done.push(`${n} session(s) terminated`);
	}
	const deadline = Date.now() + 5000;
	while ((now = await look()).alive || now.sessions.length > 0) {
		if (Date.now() > deadline) {
			if (now.alive) {
				try {
					process.kill(r.pid!, 'SIGKILL');
					done.push('SIGKILL after 5 s');
				} catch {
					// gone
				}
			}
			break;
		}
		await sleep(100);
	}
	return `ended the orphaned ${who} (${done.join(', ') || 'it exited as we looked'})`;
}

/** Live postmasters on data directories under `dir` (their postmaster.pid, a few levels down): a server whose pid was not journaled yet. */
function postmastersUnder(dir: string, depth = 3): number[] {
	const out: number[] = [];
	try {
		const pid = Number(readFileSync(path.join(dir, 'postmaster.pid'), 'utf8').split('\n')[0]);
		if (Number.isInteger(pid) && processAlive(pid, 'postgres')) out.push(pid);
	} catch {
		// no server on this directory
	}
	if (depth === 0) return out;
	try {
		for (const entry of readdirSync(dir, {withFileTypes: true})) if (entry.isDirectory()) out.push(...postmastersUnder(path.join(dir, entry.name), depth - 1));
	} catch {
		// gone or unreadable
	}
	return out;
}

async function stopPid(pid: number, name: string): Promise<string> {
	// PostgreSQL's fast shutdown is SIGINT (SIGTERM waits for every client); everything else stops on SIGTERM.
	const signal = name === 'postgres' ? 'SIGINT' : 'SIGTERM';
	process.kill(pid, signal);
	const deadline = Date.now() + 15_000;
	while (processAlive(pid, name)) {
		if (Date.now() > deadline) {
			process.kill(pid, 'SIGKILL');
			return `${name} (pid ${pid}) did not stop on ${signal} within 15 s: killed`;
		}
		await sleep(100);
	}
	return `stopped ${name} (pid ${pid}) with ${signal}`;
}

async function settleServer(r: ResourceRecord): Promise<string> {
	if (r.host !== undefined && r.host !== os.hostname()) return `it ran on host ${r.host}: stop it there`;
	if (r.pid === undefined) {
		// Killed between starting it and journaling its pid: a postmaster is found by its data directory.
		const found = r.name === 'postgres' && r.detail ? postmastersUnder(r.detail) : [];
		if (found.length === 0) return 'no pid was recorded and none is running on its directory (it never started)';
		return (await Promise.all(found.map((pid) => stopPid(pid, r.name)))).join('; ');
	}
	if (!processAlive(r.pid, r.name)) return `${r.name} (pid ${r.pid}) had already stopped`;
	return stopPid(r.pid, r.name);
}

async function databaseSize(client: pg.ClientBase, name: string): Promise<number | undefined> {
	const {rows} = await client.query<{bytes: string}>('SELECT pg_database_size(datname)::text AS bytes FROM pg_database WHERE datname = $1', [name]);
	return rows[0] ? Number(rows[0].bytes) : undefined;
}

async function dropDatabase(client: pg.ClientBase, name: string): Promise<void> {
	const {rows} = await client.query<{sql: string}>(`SELECT format('DROP DATABASE IF EXISTS %I WITH (FORCE)', $1::text) AS sql`, [name]);
	await client.query(rows[0]!.sql);
}

async function settleSetting(r: ResourceRecord, maintenance: Target): Promise<string> {
	return withClient(maintenance, 'runbook-cleanup', async (c) => {
		const names = [r.name, ...(r.detail ? [r.detail] : [])];
		const {rows} = await c.query<{datname: string}>('SELECT datname FROM pg_database WHERE datname = ANY($1::text[]) AND NOT datallowconn', [names]);
		for (const row of rows) {
			const {rows: sql} = await c.query<{sql: string}>(`SELECT format('ALTER DATABASE %I WITH ALLOW_CONNECTIONS true', $1::text) AS sql`, [row.datname]);
			await c.query(sql[0]!.sql);
		}
		return rows.length > 0 ? `connections allowed again on ${rows.map((x) => x.datname).join(', ')}` : 'nothing to undo (connections were allowed)';
	});
}

async function settleOne(r: ResourceRecord, options: LeftoverOptions): Promise<LeftoverOutcome> {
	const released = (how: string): LeftoverOutcome => {
		options.release(r.id, how);
		return {resource: r, outcome: 'released', how};
	};
	switch (r.kind) {
		case 'process':
			return released(await settleChild(r, options));
		case 'server':
			return released(await settleServer(r));
		case 'setting': {
			const maintenance = maintenanceFor(r, options);
			if (!maintenance) return {resource: r, outcome: 'unreachable', how: 'its server is not given: pass --test-database-url'};
			return released(await settleSetting(r, maintenance));
		}
		case 'database': {
			const maintenance = maintenanceFor(r, options);
			if (!maintenance) return {resource: r, outcome: 'unreachable', how: `it is on ${r.server ?? 'another server'}: pass the same --test-database-url to reach it`};
			return withClient(maintenance, 'runbook-cleanup', async (c) => {
				const bytes = await databaseSize(c, r.name);
				if (bytes === undefined) return released('not found on the server (never created, or already gone)');
				if (r.holdsData) {
					options.update?.(r.id, {bytes});
					const decision = (await options.decide?.({...r, bytes})) ?? 'keep';
					if (decision === 'keep') return {resource: {...r, bytes}, outcome: 'kept', how: 'holds data: kept until the operator says so (runbook cleanup)'};
					if (decision === 'forget') return released('kept by the operator, no longer tracked by runbook');
				}
				await dropDatabase(c, r.name);
				return released(r.holdsData ? 'dropped on the operator\'s word' : 'dropped');
			});
		}
		case 'file':
		case 'directory': {
			if (!(await exists(r.name))) return released('not found (never created, or already gone)');
			if (r.holdsData) {
				const decision = (await options.decide?.(r)) ?? 'keep';
				if (decision === 'keep') return {resource: r, outcome: 'kept', how: 'holds data: kept until the operator says so (runbook cleanup)'};
				if (decision === 'forget') return released('kept by the operator, no longer tracked by runbook');
			}
			await rm(r.name, {recursive: r.kind === 'directory', force: true});
			return released('removed');
		}
	}
}

/** Settles every open resource (see the module comment); returns one outcome per resource, in the order handled. */
export async function settleLeftovers(open: readonly ResourceRecord[], options: LeftoverOptions): Promise<LeftoverOutcome[]> {
	const ordered = [...open].sort((a, b) => ORDER[a.kind] - ORDER[b.kind] || a.registeredAt.localeCompare(b.registeredAt));
	const outcomes: LeftoverOutcome[] = [];
	for (const r of ordered) {
		try {
			outcomes.push(await settleOne(r, options));
		} catch (error) {
			if (error instanceof UserError) throw error;
			outcomes.push({resource: r, outcome: 'unreachable', how: redact(errorMessage(error), options.target?.secrets ?? [])});
		}
	}
	return outcomes;
}
