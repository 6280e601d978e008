/**
 * The terminal goes away mid-run, as at 2 AM when the SSH session drops: the
 * tmux server holding an interactive sandbox rehearsal is killed while the
 * run waits for the operator. The pty is gone, so SIGHUP arrives and every
 * write to the screen fails with EIO. The run must still stop as a SIGHUP
 * asks: the journal ends with run-stopped, the sandbox PostgreSQL and the
 * throwaway Redis are stopped, and the process ends without a crash (an
 * unhandled EIO on stdout, or node's abort restoring a hung-up terminal).
 */
import {afterAll, describe, expect, it} from 'vitest';
import {spawnSync} from 'node:child_process';
import {chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {sandboxDir} from '../../source/cli/target.js';
import {terminal} from '../helpers/tmux.js';
import {CLI, waitFor} from '../helpers/cli.js';
import {processAlive} from '../../source/engine/leftovers.js';

const stateDir = mkdtempSync(path.join(tmpdir(), 'runbook-lost-tty-'));
chmodSync(stateDir, 0o755); // the sandbox PostgreSQL runs as `postgres` and must traverse it
const errFile = path.join(stateDir, 'stderr.txt');
const tty = terminal('lost-tty');
const sandbox = sandboxDir(path.join(stateDir, '.sandbox'), 'migration-006');

function alive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch {
		return false;
	}
}

afterAll(() => {
	tty.close();
	// Whatever a failed run left: stop it by its own pid files, then remove the directories.
	const pidFile = path.join(sandbox, 'data', 'postmaster.pid');
	if (existsSync(pidFile)) spawnSync('kill', [readFileSync(pidFile, 'utf8').split('\n')[0]!]);
	const redisPid = path.join(sandbox, 'redis.pid');
	if (existsSync(redisPid)) spawnSync('kill', [readFileSync(redisPid, 'utf8').trim()]);
	rmSync(path.dirname(sandbox), {recursive: true, force: true});
	rmSync(stateDir, {recursive: true, force: true});
});

describe('a lost terminal', () => {
	it('stops the run as SIGHUP asks: run-stopped journaled, the sandbox and its Redis stopped, no crash', async () => {
		tty.start(`env -u CI node ${CLI} --state-dir ${stateDir} 2>${errFile}`, {columns: 120, rows: 40});
		await tty.until('the first manual item waiting', (s) => s.includes('Enter confirm'), 120_000);
		const journal = () =>
			readFileSync(path.join(stateDir, 'journal.jsonl'), 'utf8')
				.trim()
				.split('\n')
				.map((l) => JSON.parse(l) as {type: string; pid?: number; status?: string; text?: string});
		const pid = journal().find((e) => e.type === 'run-started')?.pid;
		expect(pid).toBeGreaterThan(0);
		const postgresPid = Number(readFileSync(path.join(sandbox, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
		expect(processAlive(postgresPid, 'postgres')).toBe(true);
		expect(readdirSync(sandbox)).toContain('redis.pid');

		tty.close(); // the whole tmux server: the pty closes under the TUI

		await waitFor(() => (alive(pid!) ? undefined : true), 'the runbook process to end', 60_000, 50);
		const stderr = readFileSync(errFile, 'utf8');
		expect(stderr).toContain('SIGHUP: stopping after recording the current step');
		expect(stderr).not.toMatch(/Unhandled 'error' event|write EIO|Assertion failed|this is a bug in runbook/);
		expect(journal().at(-1)).toMatchObject({type: 'run-stopped', status: 'quit'});
		expect(journal().filter((e) => e.type === 'note').map((e) => e.text)).toContain('SIGHUP received (the terminal or the session was lost): the run stops after recording the current step');
		expect(processAlive(postgresPid, 'postgres')).toBe(false);
		expect(existsSync(path.join(sandbox, 'data', 'postmaster.pid'))).toBe(false);
		expect(readdirSync(sandbox)).not.toContain('redis.pid');
	}, 240_000);
});
