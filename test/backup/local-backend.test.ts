/**
 * The backup's own server session yields the CPU to pg_dump's backend when
 * the server runs on this machine, and only when this machine's process
 * table proves the pid is that very session.
 */
import {afterAll, beforeAll, describe, expect, test} from 'vitest';
import {mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import {connectTo, freshDatabase, type TestDatabase} from '../helpers/db.js';
import {niceOf} from '../helpers/nice.js';
import {lowerLocalBackendPriority, titleMatches} from '../../source/backup/local-backend.js';
import {runBackup} from '../../source/backup/dump.js';

let db: TestDatabase;
let dir: string;

async function backendOf(client: pg.Client): Promise<{pid: number; port: number | null}> {
	const {rows} = await client.query<{pid: number; port: number | null}>('SELECT pg_backend_pid() AS pid, inet_client_port() AS port');
	return rows[0]!;
}

beforeAll(async () => {
	db = await freshDatabase('local_backend', {empty: true});
	await db.query('CREATE TABLE t (id int); INSERT INTO t SELECT generate_series(1, 1000)');
	dir = await mkdtemp(path.join(tmpdir(), 'runbook-local-backend-'));
}, 60_000);

afterAll(async () => {
	await db?.drop();
	if (dir) await rm(dir, {recursive: true, force: true});
});

describe('a process title names the session it serves', () => {
	test('over TCP by the client port, over a Unix socket as [local]', () => {
		const tcp = 'postgres: app shop 127.0.0.1(50412) idle in transaction\0\0\0';
		expect(titleMatches(tcp, {port: 50412})).toBe(true);
		expect(titleMatches(tcp, {port: 5041})).toBe(false);
		expect(titleMatches(tcp, 'unix')).toBe(false);
		expect(titleMatches('postgres: app shop [local] SELECT', 'unix')).toBe(true);
		expect(titleMatches('postgres: app shop [local] SELECT', {port: 5432})).toBe(false);
		expect(titleMatches('/usr/bin/node server.js (50412)', {port: 50412})).toBe(false);
	});
});

describe.runIf(process.platform === 'linux')('lowering the priority of our own backend', () => {
	test('a loopback session whose port the server and the process title agree on gets nice 19; another session keeps its own', async () => {
		const ours = await connectTo(db, 'runbook-test-ours');
		const other = await connectTo(db, 'runbook-test-other');
		try {
			const mine = await backendOf(ours);
			const theirs = await backendOf(other);
			expect(niceOf(mine.pid)).toBe(0);
			expect(lowerLocalBackendPriority(ours, mine.pid, mine.port)).toBe(true);
			expect(niceOf(mine.pid)).toBe(19);
			expect(niceOf(theirs.pid)).toBe(0);
		} finally {
			await ours.end();
			await other.end();
		}
	});

	test('a pid the process table does not show as that session is left alone: another session\'s pid, a port the server did not report', async () => {
		const ours = await connectTo(db, 'runbook-test-ours');
		const other = await connectTo(db, 'runbook-test-other');
		try {
			const mine = await backendOf(ours);
			const theirs = await backendOf(other);
			// The server's word for another session (as a pool or a second pid namespace could give): its title names another port.
			expect(lowerLocalBackendPriority(ours, theirs.pid, mine.port)).toBe(false);
			expect(lowerLocalBackendPriority(ours, mine.pid, (mine.port ?? 0) + 1)).toBe(false);
			// This test's own process is no postgres backend.
			expect(lowerLocalBackendPriority(ours, process.pid, mine.port)).toBe(false);
			expect(niceOf(theirs.pid)).toBe(0);
			expect(niceOf(mine.pid)).toBe(0);
			expect(niceOf(process.pid)).toBe(0);
		} finally {
			await ours.end();
			await other.end();
		}
	});

	test('during a backup, the session holding the snapshot runs at nice 19 and pg_dump\'s own backend at 0', async () => {
		// The table is held while the priorities are read, so both sessions are still there (the dump of a 1000-row table takes milliseconds).
		const holder = await connectTo(db, 'runbook-test-holder');
		await holder.query('BEGIN');
		await holder.query('LOCK TABLE t IN ACCESS EXCLUSIVE MODE');
		let probe: Promise<{snapshot: number[]; dump: number[]}> | undefined;
		const read = async () => {
			const seen = {snapshot: [] as number[], dump: [] as number[]};
			// pg_dump's first line comes before it connects: wait until its session is there.
			for (let i = 0; i < 200 && seen.dump.length === 0; i++) {
				const rows = await db.query<{pid: number; app: string}>(`SELECT pid, application_name AS app FROM pg_stat_activity WHERE datname = current_database() AND (application_name = 'runbook-backup' OR application_name LIKE 'runbook-pg_dump%')`);
				seen.snapshot = rows.filter((r) => r.app === 'runbook-backup').map((r) => niceOf(r.pid));
				seen.dump = rows.filter((r) => r.app !== 'runbook-backup').map((r) => niceOf(r.pid));
				if (seen.dump.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
			}
			await holder.query('ROLLBACK');
			return seen;
		};
		try {
			const result = await runBackup({target: db.target, dir, lockWaitTimeoutMs: 20_000, onLine: () => void (probe ??= read())});
			expect(result.tables).toEqual([{table: 'public.t', rows: 1000}]);
			expect(await probe).toEqual({snapshot: [19], dump: [0]});
		} finally {
			await holder.query('ROLLBACK').catch(() => undefined);
			await holder.end();
		}
	});
});
