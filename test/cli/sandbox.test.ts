/**
 * `runbook sandbox`: a throwaway PostgreSQL with 001–005 and data, announced
 * as DATABASE_URL=<url> on a line of its own, gone without a trace after
 * SIGTERM. And a rehearsal run on the sandbox that gets a signal while the
 * sandbox starts (Ctrl-C, a closed terminal) stops the server it started.
 */
import {describe, expect, it} from 'vitest';
import {existsSync, readdirSync, readFileSync} from 'node:fs';
import path from 'node:path';
import {execa} from 'execa';
import {spawnCli, tempDir, waitFor} from '../helpers/cli.js';
import {processAlive} from '../../source/engine/leftovers.js';
import {parseTarget} from '../../source/db/target.js';

describe('runbook sandbox', () => {
	it('prints a URL where psql finds the customer’s 25 platform tables and project BlackWhale, and cleans up on SIGTERM', async () => {
		const child = spawnCli(['sandbox']);
		let stdout = '';
		child.stdout?.on('data', (chunk: Buffer) => {
			stdout += chunk.toString();
		});
		const url = await waitFor(() => /^DATABASE_URL=(\S+)$/m.exec(stdout)?.[1], 'DATABASE_URL', 180_000);
		const target = parseTarget(url);
		const psql = (sql: string) => execa('psql', ['-X', '-A', '-t', '-c', sql], {env: target.childEnv()});
		expect((await psql(`SELECT count(*) FROM pg_tables WHERE schemaname = 'platform'`)).stdout.trim()).toBe('25');
		expect((await psql(`SELECT p.name || '|' || p.ref FROM platform.projects p JOIN platform.organizations o ON o.id = p.organization_id WHERE o.slug = 'lancio'`)).stdout.trim()).toBe('BlackWhale|blackwhale-prod');
		const dataDir = (await psql('SHOW data_directory')).stdout.trim();
		expect(existsSync(dataDir)).toBe(true);
		child.kill('SIGTERM');
		const result = await child;
		expect(result.exitCode).toBe(0);
		expect(existsSync(dataDir)).toBe(false);
	}, 240_000);

	it('stops the server a rehearsal run was starting when it gets SIGHUP, and exits 129', async () => {
		const stateDir = tempDir('sandbox-hup');
		const child = spawnCli(['run', '--yes', '--state-dir', stateDir]);
		let stderr = '';
		child.stderr?.on('data', (chunk: Buffer) => {
			stderr += chunk.toString();
		});
		// The sandbox's directory, from the line that announces it; its postmaster.pid once the server is up.
		const dir = await waitFor(() => /starting the sandbox PostgreSQL in (\S+) …/.exec(stderr)?.[1], 'the sandbox to start', 120_000, 20);
		const pidFile = path.join(dir, 'data', 'postmaster.pid');
		// initdb's single-user backends write a postmaster.pid too and remove it as they exit: one may go between the
		// check and the read.
		const readPid = () => {
			try {
				return Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
			} catch {
				return 0;
			}
		};
		const pid = await waitFor(() => {
			const n = readPid();
			return n > 0 && processAlive(n, 'postgres') ? n : undefined;
		}, 'the sandbox server', 120_000, 20);
		child.kill('SIGHUP');
		const result = await child;
		expect(result.exitCode).toBe(129);
		expect(result.stderr).toMatch(/SIGHUP: stopping the sandbox it was starting/);
		expect(processAlive(pid, 'postgres')).toBe(false);
		expect(existsSync(pidFile)).toBe(false);
		expect(readdirSync(dir)).not.toContain('redis.pid');
	}, 240_000);
});
