import {afterAll, beforeAll, describe, expect, test} from 'vitest';
import {chmod, copyFile, mkdir, mkdtemp, readdir, rm, symlink, utimes, writeFile} from 'node:fs/promises';
import {execFileSync} from 'node:child_process';
import {realpathSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {adminTarget} from '../helpers/db.js';
import {runBackup} from '../../source/backup/dump.js';
import {findClientTool, forgetToolVersions, parseToolVersion, pgRestoreFor, readToolVersion, resolveClientTools} from '../../source/backup/tools.js';
import {readToolCache, toolCacheDir, writeToolCache} from '../../source/backup/tool-cache.js';
import {readFile} from 'node:fs/promises';
import {UserError} from '../../source/errors.js';

let dir: string;
let xdgBefore: string | undefined;

beforeAll(async () => {
	dir = await mkdtemp(path.join(tmpdir(), 'runbook-tools-'));
	// The versions kept between runs go to this file's own cache.
	xdgBefore = process.env['XDG_CACHE_HOME'];
	process.env['XDG_CACHE_HOME'] = path.join(dir, 'xdg');
});

afterAll(async () => {
	if (xdgBefore === undefined) delete process.env['XDG_CACHE_HOME'];
	else process.env['XDG_CACHE_HOME'] = xdgBefore;
	await rm(dir, {recursive: true, force: true});
});

test('tool versions parse for current and pre-10 numbering', () => {
	expect(parseToolVersion('pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)')).toEqual({text: '15.20', major: '15', majorNum: 1500});
	expect(parseToolVersion('pg_dump (PostgreSQL) 9.6.24')).toEqual({text: '9.6.24', major: '9.6', majorNum: 906});
	expect(parseToolVersion('something else 15.2')).toBeUndefined();
});

test('the installed client tools are found on PATH and are at least the server’s major version', async () => {
	const tools = await resolveClientTools({target: adminTarget().admin});
	expect([tools.pgDump.version.major, tools.pgRestore.version.major, tools.psql.version.major, tools.server?.major]).toEqual(['15', '15', '15', '15']);
	expect(path.basename(tools.pgDump.path)).toBe('pg_dump');
});

test('an explicit pg_dump path that does not exist stops the backup with how to install the client', async () => {
	const missing = path.join(dir, 'bin', 'pg_dump');
	const backup = runBackup({target: adminTarget().admin, dir: path.join(dir, 'out1'), pgDumpPath: missing});
	await expect(backup).rejects.toThrow(UserError);
	await expect(backup).rejects.toThrow(
		`The pg_dump given as \`${missing}\` does not exist or is not an executable file. Fix the path, or leave it unset to use the pg_dump on PATH. runbook runs the PostgreSQL client tools`,
	);
});

test('a PATH without pg_dump stops the backup before it starts, leaving no file', async () => {
	const empty = path.join(dir, 'empty-bin');
	const out = path.join(dir, 'out2');
	await expect(runBackup({target: adminTarget().admin, dir: out, pathEnv: empty})).rejects.toThrow(
		`\`pg_dump\` was not found on PATH (${empty}). runbook runs the PostgreSQL client tools (psql, pg_dump, pg_restore) as child processes: install them with \`apt-get install postgresql-client\``,
	);
	await expect(readdir(out)).rejects.toThrow(/ENOENT/);
});

test('a pg_dump older than the server is refused naming both versions', async () => {
	// Stands in for an old pg_dump only for the version check: it answers --version like 9.6 and does nothing else.
	const fake = path.join(dir, 'old-bin', 'pg_dump');
	await mkdir(path.dirname(fake));
	await writeFile(fake, '#!/bin/sh\necho "pg_dump (PostgreSQL) 9.6.24"\n');
	await chmod(fake, 0o755);
	const {admin} = adminTarget();
	const backup = runBackup({target: admin, dir: path.join(dir, 'out3'), pgDumpPath: fake});
	await expect(backup).rejects.toThrow(
		new RegExp(
			`^pg_dump at ${fake.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is PostgreSQL 9\\.6\\.24 \\(major 9\\.6\\), but the server ${admin.display.replace(/[.]/g, '\\.')} runs PostgreSQL 15\\.\\d+ \\(major 15\\); pg_dump must be at least the server's major version\\. Install the PostgreSQL 15 client tools`,
		),
	);
});

test('a tool’s version is read once per executable, and again when the file is replaced', async () => {
	const bin = path.join(dir, 'counting');
	await mkdir(bin, {recursive: true});
	const tool = path.join(bin, 'pg_dump');
	const calls = path.join(bin, 'calls');
	const script = (version: string) => `#!/bin/sh\necho run >> "${calls}"\necho "pg_dump (PostgreSQL) ${version}"\n`;
	await writeFile(tool, script('15.20'));
	await chmod(tool, 0o755);
	expect(await readToolVersion('pg_dump', tool)).toMatchObject({text: '15.20'});
	expect(await readToolVersion('pg_dump', tool)).toMatchObject({text: '15.20'});
	expect((await readFile(calls, 'utf8')).trim().split('\n')).toHaveLength(1);
	await writeFile(tool, script('16.4'));
	expect(await readToolVersion('pg_dump', tool)).toMatchObject({text: '16.4', major: '16'});
	expect((await readFile(calls, 'utf8')).trim().split('\n')).toHaveLength(2);
});

/**
 * A stand-in for Debian's layout: bin/<tool> is a symlink to
 * share/postgresql-common/pg_wrapper, a script that execs one version's
 * binary under lib/postgresql/<v>/bin (the version it picks: `choose`, a
 * shell expression), and each binary answers --version and logs its env.
 */
async function debianLayout(name: string, versions: Record<string, string>, choose: string): Promise<{bin: string; root: string; log: string}> {
	const base = await mkdtemp(path.join(dir, 'debian-'));
	const root = path.join(base, 'lib', 'postgresql');
	const log = path.join(base, 'env.log');
	for (const [major, text] of Object.entries(versions)) {
		const file = path.join(root, major, 'bin', name);
		await mkdir(path.dirname(file), {recursive: true});
		await writeFile(file, `#!/bin/sh\necho "${major} PGSYSCONFDIR=\${PGSYSCONFDIR:-unset}" >> "${log}"\necho "${name} (PostgreSQL) ${text}"\n`);
		await chmod(file, 0o755);
	}
	const wrapper = path.join(base, 'share', 'postgresql-common', 'pg_wrapper');
	await mkdir(path.dirname(wrapper), {recursive: true});
	await writeFile(wrapper, `#!/bin/sh\nROOT="${root}"\nv=${choose}\nexec "$ROOT/$v/bin/$(basename "$0")" "$@"\n`);
	await chmod(wrapper, 0o755);
	const bin = path.join(base, 'bin');
	await mkdir(bin);
	await symlink(wrapper, path.join(bin, name));
	return {bin, root, log};
}

test('Debian’s wrapper on PATH: the newest binary is run directly when its --version says what the wrapper’s run said, with the PGSYSCONFDIR the wrapper sets', async () => {
	const {bin, root, log} = await debianLayout('pg_dump', {'14': '14.12 (Debian 14.12-1)', '15': '15.19 (Debian 15.19-0+deb12u1)'}, '15');
	const env = {PGHOST: '127.0.0.1', PGPORT: '5432'};
	const tool = await findClientTool('pg_dump', {pathEnv: bin, env, binRoot: root});
	expect(tool).toMatchObject({path: path.join(root, '15', 'bin', 'pg_dump'), wrapper: path.join(bin, 'pg_dump'), version: {text: '15.19'}, env: {PGSYSCONFDIR: '/etc/postgresql-common'}});
	// Its version, read through the wrapper and then directly: one run each.
	expect((await readFile(log, 'utf8')).trim().split('\n')).toEqual(['15 PGSYSCONFDIR=unset', '15 PGSYSCONFDIR=unset']);
	// A PGSYSCONFDIR that is set stays.
	expect((await findClientTool('pg_dump', {pathEnv: bin, env: {...env, PGSYSCONFDIR: '/srv/pg'}, binRoot: root})).env).toEqual({PGSYSCONFDIR: '/srv/pg'});
});

test('the wrapper stays when it runs another version than the newest, or when no host is in the environment', async () => {
	const older = await debianLayout('pg_dump', {'14': '14.12', '15': '15.19'}, '14');
	const kept = await findClientTool('pg_dump', {pathEnv: older.bin, env: {PGHOST: 'db.internal'}, binRoot: older.root});
	expect(kept).toEqual({name: 'pg_dump', path: path.join(older.bin, 'pg_dump'), version: expect.objectContaining({text: '14.12'})});
	const byHost = await debianLayout('pg_dump', {'14': '14.12', '15': '15.19'}, '15');
	expect(await findClientTool('pg_dump', {pathEnv: byHost.bin, binRoot: byHost.root})).toEqual({name: 'pg_dump', path: path.join(byHost.bin, 'pg_dump'), version: expect.objectContaining({text: '15.19'})});
});

test('a version is read in the environment the tool runs with: a wrapper that picks by PGHOST answers for the binary the dump would get', async () => {
	// Like pg_wrapper: without a host it would take the local cluster's version (14 here), with one the newest.
	const {bin, root} = await debianLayout('pg_dump', {'14': '14.12', '15': '15.19'}, '$([ -n "$PGHOST" ] && echo 15 || echo 14)');
	const file = path.join(bin, 'pg_dump');
	expect(await readToolVersion('pg_dump', file)).toMatchObject({text: '14.12'});
	expect(await readToolVersion('pg_dump', file, {PGHOST: '10.0.0.5'})).toMatchObject({text: '15.19'});
	expect((await findClientTool('pg_dump', {pathEnv: bin, env: {PGHOST: '10.0.0.5'}, binRoot: root})).version.text).toBe('15.19');
});

test('on this machine a backup runs the binary that the pg_dump on PATH stands for, and records it', async () => {
	const onPath = execFileSync('sh', ['-c', 'command -v pg_dump'], {encoding: 'utf8'}).trim();
	const wrapped = path.basename(realpathSync(onPath)) === 'pg_wrapper';
	const {admin} = adminTarget();
	const result = await runBackup({target: admin, dir: path.join(dir, 'out-binary'), countRows: false});
	if (wrapped) {
		expect(result.binary).toMatch(/^\/usr\/lib\/postgresql\/\d+\/bin\/pg_dump$/);
		expect(execFileSync(result.binary, ['--version'], {encoding: 'utf8'})).toBe(execFileSync(onPath, ['--version'], {encoding: 'utf8', env: {...process.env, PGHOST: admin.childEnv()['PGHOST']}}));
	} else {
		expect(result.binary).toBe(onPath);
	}
	expect(result.clientVersion).toMatch(/^\d+\.\d+/);
});

describe('a tool’s --version kept on disk between runs', () => {
	beforeAll(async () => {
		await rm(toolCacheDir(), {recursive: true, force: true});
	});
	const entries = () => readdir(toolCacheDir()).catch(() => [] as string[]);

	test('a compiled binary’s answer is read from the cache by the next run, and read again once the binary changes', async () => {
		const copy = path.join(await mkdtemp(path.join(dir, 'elf-')), 'pg_dump');
		await copyFile(execFileSync('sh', ['-c', 'ls /usr/lib/postgresql/*/bin/pg_dump | tail -1'], {encoding: 'utf8'}).trim(), copy);
		await chmod(copy, 0o755);
		const real = await readToolVersion('pg_dump', copy);
		const [entry] = await entries();
		expect(entry).toBeDefined();
		expect(await readFile(path.join(toolCacheDir(), entry!), 'utf8')).toContain(`pg_dump (PostgreSQL) ${real.text}`);
		// The next run (this process's answers forgotten) takes the kept answer: one made up here shows it is not the binary's.
		const key = entry!.replace(/\.txt$/, '');
		await writeFile(path.join(toolCacheDir(), entry!), `${key}\npg_dump (PostgreSQL) 99.1\n`);
		forgetToolVersions();
		expect(await readToolVersion('pg_dump', copy)).toMatchObject({text: '99.1', major: '99'});
		// A binary replaced or touched is another identity: it is run again.
		await utimes(copy, new Date(), new Date(Date.now() + 5000));
		forgetToolVersions();
		expect(await readToolVersion('pg_dump', copy)).toEqual(real);
	});

	test('a script is run every time; Debian’s wrapper with a host is kept until the installed versions change', async () => {
		const shim = path.join(await mkdtemp(path.join(dir, 'shim-')), 'pg_dump');
		const calls = `${shim}.calls`;
		await writeFile(shim, `#!/bin/sh\necho run >> "${calls}"\necho "pg_dump (PostgreSQL) 15.19"\n`);
		await chmod(shim, 0o755);
		await readToolVersion('pg_dump', shim);
		forgetToolVersions();
		await readToolVersion('pg_dump', shim);
		expect((await readFile(calls, 'utf8')).trim().split('\n')).toHaveLength(2);

		// Like pg_wrapper given a host: the newest version installed.
		const {bin, root, log} = await debianLayout('pg_dump', {'15': '15.19'}, '$(ls "$ROOT" | sort -n | tail -1)');
		const env = {PGHOST: 'db.internal'};
		const runs = async () => (await readFile(log, 'utf8')).trim().split('\n').length;
		expect((await findClientTool('pg_dump', {pathEnv: bin, env, binRoot: root})).path).toBe(path.join(root, '15', 'bin', 'pg_dump'));
		expect(await runs()).toBe(2); // the wrapper's run, then the binary's (a script here, so never kept)
		forgetToolVersions();
		expect((await findClientTool('pg_dump', {pathEnv: bin, env, binRoot: root})).path).toBe(path.join(root, '15', 'bin', 'pg_dump'));
		expect(await runs()).toBe(3); // the wrapper's answer came from the cache
		// Another version installed (the wrapper itself unchanged): it now runs 16, its answer is read again, and 16 is the binary run.
		await mkdir(path.join(root, '16', 'bin'), {recursive: true});
		await writeFile(path.join(root, '16', 'bin', 'pg_dump'), `#!/bin/sh\necho "16" >> "${log}"\necho "pg_dump (PostgreSQL) 16.4"\n`);
		await chmod(path.join(root, '16', 'bin', 'pg_dump'), 0o755);
		forgetToolVersions();
		const after = await findClientTool('pg_dump', {pathEnv: bin, env, binRoot: root});
		expect(after).toMatchObject({path: path.join(root, '16', 'bin', 'pg_dump'), version: {text: '16.4'}});
		// Without a host the wrapper consults the clusters: never kept.
		forgetToolVersions();
		const count = await runs();
		await readToolVersion('pg_dump', path.join(bin, 'pg_dump'));
		forgetToolVersions();
		await readToolVersion('pg_dump', path.join(bin, 'pg_dump'));
		expect(await runs()).toBe(count + 2);
	});
});

test('the versions kept on disk are capped: past 32 entries the oldest go', async () => {
	const cache = await mkdtemp(path.join(dir, 'cap-'));
	for (let i = 0; i < 40; i++) {
		writeToolCache(`key${String(i).padStart(2, '0')}`, `pg_dump (PostgreSQL) 15.${i}`, cache);
		// Distinct mtimes, oldest first.
		await utimes(path.join(cache, `key${String(i).padStart(2, '0')}.txt`), new Date(1_700_000_000_000 + i * 1000), new Date(1_700_000_000_000 + i * 1000));
	}
	const kept = (await readdir(cache)).sort();
	expect(kept).toHaveLength(32);
	expect(kept[0]).toBe('key08.txt');
	expect(readToolCache('key39', cache)).toBe('pg_dump (PostgreSQL) 15.39');
	expect(readToolCache('key00', cache)).toBeUndefined();
});

test('pg_restore for reading an archive is the one the run’s pg_dump would get, and its environment carries no password', async () => {
	// Without a host this wrapper takes the local cluster's version (14), with one the newest (15).
	const byHost = await debianLayout('pg_restore', {'14': '14.12', '15': '15.19'}, '$([ -n "$PGHOST" ] && echo 15 || echo 14)');
	const file = path.join(byHost.bin, 'pg_restore');
	expect(await pgRestoreFor({pathEnv: byHost.bin, binRoot: byHost.root})).toEqual({file});
	const env = {PGHOST: 'db.internal', PGPORT: '5432', PGPASSWORD: 'not-for-a-list'};
	expect(await pgRestoreFor({pathEnv: byHost.bin, binRoot: byHost.root, env})).toEqual({file: path.join(byHost.root, '15', 'bin', 'pg_restore'), env: {PGSYSCONFDIR: '/etc/postgresql-common'}});
	// A wrapper that is not skipped gets the host to choose by, and nothing else.
	const older = await debianLayout('pg_restore', {'14': '14.12', '15': '15.19'}, '14');
	expect(await pgRestoreFor({pathEnv: older.bin, binRoot: older.root, env})).toEqual({file: path.join(older.bin, 'pg_restore'), env: {PGHOST: 'db.internal'}});
});
