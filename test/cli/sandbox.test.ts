/**
 * `runbook sandbox`: a throwaway PostgreSQL with 001–005 and data, announced
 * as DATABASE_URL=<url> on a line of its own, gone without a trace after
 * SIGTERM.
 */
import {describe, expect, it} from 'vitest';
import {existsSync} from 'node:fs';
import {execa} from 'execa';
import {spawnCli, waitFor} from '../helpers/cli.js';
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
});
