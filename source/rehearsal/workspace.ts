/**
 * Everything a rehearsal creates lives in one directory,
 * `<tmp>/runbook-rehearsal-<run>`: the throwaway server's cluster, its log,
 * the rehearsal's own run state and backups (copies of production data), and
 * the pid of its redis-server.
 *
 * It is on the resource API (proc/resource.ts), like what a run creates: the
 * directory is registered with the rehearsal's tracker before it exists and
 * released once removed. The command journals it (cli/rehearse.ts), so a
 * kill -9 leaves a record the next rehearsal, `runbook rehearse --cleanup`
 * and `runbook cleanup --state-dir <journal>` act on.
 */
import {mkdirSync, rmSync} from 'node:fs';
import {chmod} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import path from 'node:path';
import type {ResourceTracker} from '../proc/resource.js';

export const WORKSPACE_PREFIX = 'runbook-rehearsal-';

export type Workspace = {
	readonly dir: string;
	readonly serverLog: string;
	readonly stateDir: string;
	readonly backupDir: string;
	readonly redisPidFile: string;
	/** Removes the directory and records it (the server and redis must be stopped first). */
	readonly remove: () => void;
};

export async function openWorkspace(resources: ResourceTracker, root = tmpdir()): Promise<Workspace> {
	const dir = path.join(root, `${WORKSPACE_PREFIX}${resources.runTag}`);
	const handle = resources.register({kind: 'directory', name: dir, purpose: "rehearsal workspace: the throwaway server's cluster and log, the rehearsal run's state and backups (copies of the dump's data)"});
	mkdirSync(dir, {mode: 0o700});
	// As root the server runs as `postgres`, which must traverse this directory.
	await chmod(dir, 0o755);
	return {
		dir,
		serverLog: path.join(dir, 'server.log'),
		stateDir: path.join(dir, 'state'),
		backupDir: path.join(dir, 'backups'),
		redisPidFile: path.join(dir, 'redis.pid'),
		remove: () => {
			rmSync(dir, {recursive: true, force: true});
			handle.release('removed');
		},
	};
}
