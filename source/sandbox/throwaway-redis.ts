/**
 * A throwaway redis-server on a free loopback port with a random password,
 * for the Railway steps of a sandbox or rehearsal run (REDIS_URL for that run
 * only). Its pid goes to `pidFile`, so a run killed with SIGKILL leaves
 * something the next run can find and stop.
 */
import {randomBytes} from 'node:crypto';
import {readFileSync, rmSync, writeFileSync} from 'node:fs';
import {execa} from 'execa';
import {freePort} from './server.js';

export type ThrowawayRedis = {readonly url: string; readonly port: number; readonly pid?: number; readonly stop: () => void};

export async function startThrowawayRedis(pidFile?: string): Promise<ThrowawayRedis> {
	const port = await freePort();
	const password = randomBytes(12).toString('base64url');
	const child = execa('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--requirepass', password, '--save', '', '--appendonly', 'no'], {stdio: 'ignore', reject: false, cleanup: true});
	if (pidFile && child.pid !== undefined) writeFileSync(pidFile, String(child.pid), {mode: 0o600});
	return {
		url: `redis://default:${password}@127.0.0.1:${port}/0`,
		port,
		...(child.pid === undefined ? {} : {pid: child.pid}),
		stop: () => {
			child.kill('SIGTERM');
			if (pidFile) rmSync(pidFile, {force: true});
		},
	};
}

/** Stops the redis-server a killed run left (its pid file), if that pid is still a redis-server (pids are reused). */
export function stopLeftoverRedis(pidFile: string): boolean {
	let stopped = false;
	try {
		const pid = Number(readFileSync(pidFile, 'utf8'));
		if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('redis-server')) {
			process.kill(pid, 'SIGTERM');
			stopped = true;
		}
	} catch {
		// none left, or already gone
	}
	rmSync(pidFile, {force: true});
	return stopped;
}
