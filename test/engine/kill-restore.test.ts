/**
 * Rollback level 3 killed with kill -9 right after its switch (the restored
 * copy renamed in, the database as it was kept as the pre-restore copy), the
 * moment found from the journal; then --resume. The resumed run sees that
 * the switch already happened and verifies instead of restoring a second
 * time: one pre-restore copy, listed with its size, and nothing else left.
 */
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {closeSync, existsSync, openSync, readSync, statSync} from 'node:fs';
import path from 'node:path';
import {freshDatabase, schemaDump, type TestDatabase} from '../helpers/db.js';
import {CLI, ROOT, journalEvents, runCli, spawnCli, subsetPlan, tempDir} from '../helpers/cli.js';
import {terminal} from '../helpers/tmux.js';
import {adminQuery, dropDatabase} from '../../source/sandbox/server.js';

let db: TestDatabase;
let stateDir: string;
let args: string[];
let before: string;
let copy: string;
const term = terminal('kill-restore');
const {tmux, until} = term;

/** `runbook run --resume` in a real terminal, as the operator starts it. */
function launch(): void {
	const quoted = [CLI, 'run', '--resume', ...args].map((a) => `'${a}'`).join(' ');
	term.start(`cd ${ROOT} && env -u CI node ${quoted}; echo RUNBOOK-EXITED $?; sleep 3600`, {columns: 200, rows: 45});
}

/** Leaves the TUI (q, and y when it asks). */
async function quitTui(): Promise<string> {
	tmux('send-keys', '-t', 'rb:main', 'q');
	const s = await until('the quit question or the exit', (x) => x.includes('Quit now?') || x.includes('RUNBOOK-EXITED'));
	if (!s.includes('RUNBOOK-EXITED')) tmux('send-keys', '-t', 'rb:main', 'y');
	return until('the exit', (x) => x.includes('RUNBOOK-EXITED'));
}

/** The journal's events appended since `offset` (bytes), read from the file's end: cheap enough to poll every few ms. */
function newEvents(file: string, offset: number): {events: Array<Record<string, unknown>>; offset: number} {
	if (!existsSync(file)) return {events: [], offset};
	const size = statSync(file).size;
	if (size <= offset) return {events: [], offset};
	const buffer = Buffer.alloc(size - offset);
	const fd = openSync(file, 'r');
	try {
		readSync(fd, buffer, 0, buffer.length, offset);
	} finally {
		closeSync(fd);
	}
	const text = buffer.toString('utf8');
	const complete = text.lastIndexOf('\n') + 1;
	const events = text
		.slice(0, complete)
		.split('\n')
		.filter((l) => l.trim())
		.map((l) => JSON.parse(l) as Record<string, unknown>);
	return {events, offset: offset + Buffer.byteLength(text.slice(0, complete))};
}

async function databasesLike(pattern: string): Promise<string[]> {
	const {rows} = await adminQuery(db.admin, 'SELECT datname FROM pg_database WHERE datname LIKE $1 ORDER BY 1', [pattern]);
	return (rows as Array<{datname: string}>).map((r) => r.datname);
}

beforeAll(async () => {
	db = await freshDatabase('kill_restore');
	before = await schemaDump(db.target, {schema: 'platform'});
	stateDir = tempDir('kill-restore');
	args = ['--database-url', db.url, '--state-dir', stateDir, '--plan', subsetPlan(['pre-backup', 'step1'], {keepRollback: true})];
	const forward = await runCli(['run', '--yes', '--confirm', 'all', '--go', ...args]);
	expect(forward.stdout).toMatch(/■ completed/);
}, 240_000);

afterAll(async () => {
	term.close();
	for (const name of await databasesLike(`${db.name}\\_%`)) await dropDatabase(db.admin, name);
	await db?.drop();
});

describe('rollback level 3 killed after its switch, then --resume', () => {
	it('does not restore a second time: it verifies, keeps one pre-restore copy and lists it with its size', async () => {
		const journal = path.join(stateDir, 'journal.jsonl');
		let offset = statSync(journal).size;
		const child = spawnCli(['rollback', '3', '--yes', '--confirm-database', db.name, '--reason', 'kill test', ...args]);
		// The moment: the restored copy's record is released as "renamed to <db>" (the switch committed); kill before the item passes.
		let killedAfter: string | undefined;
		const deadline = Date.now() + 180_000;
		while (!killedAfter) {
			const read = newEvents(journal, offset);
			offset = read.offset;
			for (const e of read.events) {
				if (e['type'] === 'resource-released' && String(e['how']).startsWith(`renamed to ${db.name}`)) killedAfter = String(e['how']);
				if (e['type'] === 'item-passed' && e['itemId'] === 'rb3.restore') throw new Error('rb3.restore passed before the kill landed');
				if (e['type'] === 'run-stopped') throw new Error(`the rollback stopped before its switch: ${String(e['message'])}`);
			}
			if (killedAfter) break;
			if (Date.now() > deadline) throw new Error('timed out waiting for the switch');
			await new Promise((r) => setTimeout(r, 2));
		}
		child.kill('SIGKILL');
		expect((await child).signal).toBe('SIGKILL');
		expect(journalEvents(stateDir).some((e) => e['type'] === 'item-passed' && e['itemId'] === 'rb3.restore')).toBe(false);
		const copies = await databasesLike(`${db.name}\\_pre\\_restore\\_%`);
		expect(copies).toHaveLength(1);
		copy = copies[0]!;

		const resumed = await runCli(['run', '--yes', '--resume', '--confirm-database', db.name, ...args]);
		expect(resumed.stderr).not.toMatch(/bug in runbook/);
		expect(resumed.stdout).toMatch(/■ rolled-back: Rollback level 3/);
		expect(resumed.exitCode).toBe(0);
		expect(resumed.stdout).toMatch(/✓ rb3\.restore .*switched by the interrupted attempt, verified now; projects: \d+; \d+ tables match the backup/);
		// One restored copy was ever made, one pre-restore copy exists, and no scratch database is left.
		const restoredCopies = journalEvents(stateDir).filter((e) => e['type'] === 'resource-registered' && String((e['resource'] as {purpose: string}).purpose).startsWith('rollback level 3: the backup restored'));
		expect(restoredCopies).toHaveLength(1);
		expect(await databasesLike(`${db.name}\\_%`)).toEqual(copies);
		expect(await schemaDump(db.target, {schema: 'platform'})).toBe(before);
		const closed = await adminQuery(db.admin, 'SELECT datname FROM pg_database WHERE datname = ANY($1::text[]) AND NOT datallowconn', [[db.name, ...copies]]);
		expect(closed.rows).toEqual([]);
		// The copy holds data: kept, and listed with its size.
		const status = await runCli(['status', ...args]);
		expect(status.stdout).toMatch(new RegExp(`Created by this run and still there[^\\n]*\\n  database ${copies[0]} \\(\\d+(\\.\\d+)? MiB\\) on [^ ]+ — rollback level 3: pre-restore copy`));
	}, 420_000);

	it('an interactive resume asks about the pre-restore copy before the TUI, keeps it in sight, and drops it only on its name', async () => {
		const released = () => journalEvents(stateDir).filter((e) => e['type'] === 'resource-released').map((e) => String(e['how']));
		launch();
		const asked = await until('the question', (s) => s.includes('It holds data. Type its name to drop it'));
		expect(asked).toMatch(new RegExp(`database ${copy} \\(\\d+(\\.\\d+)? MiB\\) on \\S+ — rollback level 3: pre-restore copy`));
		tmux('send-keys', '-t', 'rb:main', 'Enter');
		// Left listed: the TUI's header keeps it in sight.
		await until('the TUI with the copy in its header', (s) => new RegExp(`KEPT ${copy} \\(\\d+(\\.\\d+)? MiB\\): runbook cleanup`).test(s));
		await quitTui();
		expect(await databasesLike(copy)).toEqual([copy]);
		expect(released()).not.toContain("dropped on the operator's word");

		launch();
		await until('the question', (s) => s.includes('It holds data. Type its name to drop it'));
		tmux('send-keys', '-t', 'rb:main', '-l', 'not-its-name');
		tmux('send-keys', '-t', 'rb:main', 'Enter');
		await until('the refusal', (s) => s.includes(`"not-its-name" is not its name (${copy}); nothing was done to it.`));
		tmux('send-keys', '-t', 'rb:main', '-l', copy);
		tmux('send-keys', '-t', 'rb:main', 'Enter');
		await until('the TUI', (s) => s.includes('progress '));
		await until('the drop', () => released().includes("dropped on the operator's word"));
		const shown = await quitTui();
		expect(shown).not.toContain(`KEPT ${copy}`);
		expect(await databasesLike(copy)).toEqual([]);
	}, 240_000);
});
