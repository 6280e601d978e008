/**
 * Everything a rehearsal creates lives in one directory,
 * `<tmp>/runbook-rehearsal-<id>`: the throwaway server's cluster, its log,
 * the rehearsal's own run state and backups (copies of production data), and
 * the pid of its redis-server. `owner.json` names the runbook process that
 * owns it.
 *
 * Removal is in one place: `close()` at the end (also after Ctrl-C), and
 * `sweepLeftovers()` at the start of every rehearsal (and `runbook rehearse
 * --cleanup`), which stops the postmaster and redis-server of any workspace
 * whose owner is no longer running (a kill -9) and removes the directory.
 */
import {existsSync, readFileSync, readdirSync, rmSync, writeFileSync} from 'node:fs';
import {chmod, mkdtemp} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {stopLeftoverRedis} from '../sandbox/throwaway-redis.js';
import {waitForExit} from '../sandbox/server.js';

export const WORKSPACE_PREFIX = 'runbook-rehearsal-';

type Owner = {readonly pid: number; readonly startedAt: string};

export type Workspace = {
	readonly dir: string;
	readonly serverLog: string;
	readonly stateDir: string;
	readonly backupDir: string;
	readonly redisPidFile: string;
	/** Removes the directory (the server and redis must be stopped first). */
	readonly remove: () => void;
};

function alive(pid: number, name: string): boolean {
	try {
		return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(name);
	} catch {
		return false;
	}
}

/** Postmasters running on data directories inside `dir` (their postmaster.pid). */
function postmasters(dir: string): number[] {
	const out: number[] = [];
	for (const entry of readdirSync(dir, {withFileTypes: true})) {
		if (!entry.isDirectory()) continue;
		const pidFile = path.join(dir, entry.name, 'data', 'postmaster.pid');
		if (!existsSync(pidFile)) continue;
		const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
		if (Number.isInteger(pid) && alive(pid, 'postgres')) out.push(pid);
	}
	return out;
}

/** Finds and removes the workspaces of rehearsals that are no longer running. Returns one line per workspace removed. */
export async function sweepLeftovers(root = tmpdir()): Promise<string[]> {
	const removed: string[] = [];
	let names: string[];
	try {
		names = readdirSync(root).filter((n) => n.startsWith(WORKSPACE_PREFIX));
	} catch {
		return removed;
	}
	for (const name of names) {
		const dir = path.join(root, name);
		let owner: Owner | undefined;
		try {
			owner = JSON.parse(readFileSync(path.join(dir, 'owner.json'), 'utf8')) as Owner;
		} catch {
			owner = undefined;
		}
		if (owner && owner.pid !== process.pid && alive(owner.pid, 'node')) continue;
		if (owner?.pid === process.pid) continue;
		const stopped: string[] = [];
		for (const pid of postmasters(dir)) {
			process.kill(pid, 'SIGINT');
			if (!(await waitForExit(pid, 15_000))) process.kill(pid, 'SIGKILL');
			stopped.push(`postgres pid ${pid}`);
		}
		if (stopLeftoverRedis(path.join(dir, 'redis.pid'))) stopped.push('redis-server');
		rmSync(dir, {recursive: true, force: true});
		removed.push(`${dir}${stopped.length > 0 ? ` (stopped ${stopped.join(', ')})` : ''}${owner ? `, left by runbook pid ${owner.pid} started ${owner.startedAt}` : ''}`);
	}
	return removed;
}

export async function openWorkspace(root = tmpdir()): Promise<Workspace> {
	const dir = await mkdtemp(path.join(root, WORKSPACE_PREFIX));
	// As root the server runs as `postgres`, which must traverse this directory.
	await chmod(dir, 0o755);
	writeFileSync(path.join(dir, 'owner.json'), JSON.stringify({pid: process.pid, startedAt: new Date().toISOString()} satisfies Owner), {mode: 0o600});
	return {
		dir,
		serverLog: path.join(dir, 'server.log'),
		stateDir: path.join(dir, 'state'),
		backupDir: path.join(dir, 'backups'),
		redisPidFile: path.join(dir, 'redis.pid'),
		remove: () => rmSync(dir, {recursive: true, force: true}),
	};
}
