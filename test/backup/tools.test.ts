import {afterAll, beforeAll, expect, test} from 'vitest';
import {chmod, mkdir, mkdtemp, readdir, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {adminTarget} from '../helpers/db.js';
import {runBackup} from '../../source/backup/dump.js';
import {parseToolVersion, readToolVersion, resolveClientTools} from '../../source/backup/tools.js';
import {readFile} from 'node:fs/promises';
import {UserError} from '../../source/errors.js';

let dir: string;

beforeAll(async () => {
	dir = await mkdtemp(path.join(tmpdir(), 'runbook-tools-'));
});

afterAll(async () => {
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
