/**
 * End to end under tmux with the real sandbox: `runbook` in a detached tmux
 * session (120×40) is driven with send-keys through the whole plan (GO typed
 * at the gate), its pane is killed while a migration waits on a lock the test
 * holds, `runbook --resume` finishes it, and `runbook watch` in a second
 * window shows the same progress. Every wait is for text on the screen, with
 * a deadline.
 */
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {execFileSync, spawnSync} from 'node:child_process';
import {chmodSync, existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs';
import {sandboxDir} from '../../source/cli/target.js';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {randomBytes} from 'node:crypto';
import pg from 'pg';

const root = path.resolve(import.meta.dirname, '..', '..');
const cli = path.join(root, 'dist', 'cli.js');
const socket = `runbook-e2e-${randomBytes(4).toString('hex')}`;
const session = 'rb';
let stateDir = '';

function tmux(...args: string[]): string {
	return execFileSync('tmux', ['-L', socket, ...args], {encoding: 'utf8'});
}

function capture(target: string, historyLines = 0): string {
	const history = historyLines > 0 ? ['-S', `-${historyLines}`] : [];
	const result = spawnSync('tmux', ['-L', socket, 'capture-pane', '-p', ...history, '-t', target], {encoding: 'utf8'});
	return result.status === 0 ? result.stdout : '';
}

async function until<T>(what: string, target: string, probe: (screen: string) => T | undefined, timeoutMs = 60_000): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const screen = capture(target);
		const value = probe(screen);
		if (value !== undefined && value !== false) return value;
		if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms for ${what}; screen of ${target}:\n${screen}`);
		await new Promise((resolve) => setTimeout(resolve, 100));
	}
}

const main = `${session}:main`;
const shell = (command: string) => `cd ${root} && env -u CI ${command}; echo RUNBOOK-EXITED $?; sleep 3600`;

/** The id and reason of the item waiting for the operator, from the detail pane's meta line. */
function waitingLine(screen: string): string | undefined {
	return /(\S+) · [a-z-]+ · waiting/.exec(screen)?.[1] ?? screen.split('\n').find((l) => l.startsWith('Waiting:'));
}

function progress(screen: string): string | undefined {
	return /progress (\d+\/\d+)/.exec(screen)?.[1];
}

/** Answers every prompt (Enter for manual items, the typed word at the gate) until `stop` says so or runbook exits. */
async function drive(stop: (screen: string) => boolean, timeoutMs: number): Promise<string> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		if (Date.now() > deadline) throw new Error(`the run did not get there within ${timeoutMs} ms:\n${capture(main)}`);
		const screen = capture(main);
		if (stop(screen) || screen.includes('RUNBOOK-EXITED')) return screen;
		if (/r retry/.test(screen)) throw new Error(`an item failed:\n${screen}`);
		const before = waitingLine(screen);
		const typed = /Enter type (\S+)/.exec(screen)?.[1];
		if (typed) {
			tmux('send-keys', '-t', main, 'Enter');
			await until('the typed prompt', main, (s) => s.includes(`Type ${typed} and Enter`));
			tmux('send-keys', '-t', main, '-l', typed);
			tmux('send-keys', '-t', main, 'Enter');
			await until('the word accepted', main, (s) => !s.includes(`Type ${typed} and Enter`) && waitingLine(s) !== before);
			continue;
		}
		if (screen.includes('Enter confirm') && before) {
			tmux('send-keys', '-t', main, 'Enter');
			await until('the next step', main, (s) => waitingLine(s) !== before || s.includes('RUNBOOK-EXITED'));
			continue;
		}
		await new Promise((resolve) => setTimeout(resolve, 100));
	}
}

/** The sandbox's superuser URL, from the run's target and the password file the sandbox keeps. */
function sandboxUrl(): string {
	const state = JSON.parse(readFileSync(path.join(stateDir, 'state.json'), 'utf8')) as {target: string};
	const password = readFileSync(path.join(sandboxDir(path.join(stateDir, '.sandbox'), 'migration-006'), 'sandbox-password'), 'utf8').trim();
	const [user, rest] = state.target.split('@') as [string, string];
	return `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${rest}`;
}

/** A killed runbook can leave its sandbox PostgreSQL running: stop it by the pid in its own postmaster.pid. */
function stopSandbox(): number | undefined {
	if (!stateDir) return undefined;
	const dir = sandboxDir(path.join(stateDir, '.sandbox'), 'migration-006');
	const pidFile = path.join(dir, 'data', 'postmaster.pid');
	if (!existsSync(pidFile)) return undefined;
	const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
	try {
		if (pid > 0) process.kill(pid, 'SIGTERM');
	} catch {
		return undefined;
	}
	return pid;
}

// tmux and the built CLI are prerequisites (.ci/run installs tmux, npm test builds): a missing one fails, never skips.
describe('runbook under tmux', () => {
	it('has its prerequisites: the built CLI and tmux', () => {
		expect(existsSync(cli)).toBe(true);
		expect(spawnSync('tmux', ['-V']).status).toBe(0);
	});

	beforeAll(() => {
		stateDir = mkdtempSync(path.join(tmpdir(), 'runbook-e2e-'));
		chmodSync(stateDir, 0o755); // the sandbox PostgreSQL runs as `postgres` and must traverse it
		tmux('new-session', '-d', '-s', session, '-n', 'main', '-x', '120', '-y', '40', shell(`node ${cli} --state-dir ${stateDir}`));
	});

	afterAll(async () => {
		spawnSync('tmux', ['-L', socket, 'kill-server']);
		const pid = stopSandbox();
		// Wait for the sandbox PostgreSQL to exit before removing its directory.
		for (let i = 0; pid && i < 100; i++) {
			try {
				process.kill(pid, 0);
			} catch {
				break;
			}
			await new Promise((r) => setTimeout(r, 100));
		}
		if (stateDir) {
			rmSync(path.dirname(sandboxDir(path.join(stateDir, '.sandbox'), 'migration-006')), {recursive: true, force: true});
			rmSync(stateDir, {recursive: true, force: true});
		}
	});

	it('walks the plan, survives a killed pane during a migration, resumes, and watch shows the same progress', async () => {
		await until('the TUI', main, (s) => s.includes('progress'), 120_000);

		// Up to the GO gate.
		const atGate = await drive((s) => s.includes('Enter type GO'), 300_000);
		expect(atGate).toContain('GO / NO-GO');

		// Hold a lock the first migration needs, then say GO: the migration queues behind us.
		const client = new pg.Client({connectionString: sandboxUrl()});
		await client.connect();
		try {
			await client.query('begin');
			await client.query('lock table platform.projects in access exclusive mode');
			tmux('send-keys', '-t', main, 'Enter');
			await until('the GO prompt', main, (s) => s.includes('Type GO and Enter'));
			tmux('send-keys', '-t', main, '-l', 'GO');
			tmux('send-keys', '-t', main, 'Enter');
			const blocked = await until('the lock wait in the DB pane', main, (s) => (s.includes('LOCK WAIT') ? s : undefined), 60_000);
			expect(blocked).toMatch(/blocked by pid \d+/);

			// Kill the pane (and runbook in it) while the migration waits.
			tmux('respawn-pane', '-k', '-t', main, shell(`node ${cli} --resume --state-dir ${stateDir}`));
		} finally {
			await client.query('rollback').catch(() => undefined);
			await client.end().catch(() => undefined);
		}

		await until('the resumed TUI', main, (s) => s.includes('progress') && !s.includes('RUNBOOK-EXITED'), 120_000);
		tmux('new-window', '-d', '-t', session, '-n', 'watch', shell(`node ${cli} watch --state-dir ${stateDir}`));
		await until('the watch view', `${session}:watch`, (s) => s.includes('read-only view (watch)'), 60_000);

		await drive(() => false, 600_000);
		// The last frame stays on screen; the lines printed after it may push its header into the history.
		const end = capture(main, 20);
		const finalProgress = progress(end);
		expect(end, end).toMatch(/completed: [^\n]*\n(?:.*\n)*RUNBOOK-EXITED 0/);
		expect(finalProgress, end).toBeDefined();
		const [done, total] = finalProgress!.split('/');
		expect(done).toBe(total);
		await until('watch showing the same progress', `${session}:watch`, (s) => progress(s) === finalProgress, 10_000);
	}, 900_000);
});
