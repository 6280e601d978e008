/**
 * The command line as an operator meets it: each command's own --help and
 * flags, exit 2 with one paragraph for a flag that is unknown or belongs to
 * another command, shell completion that a real bash and zsh load, and the
 * interactive commands refusing cleanly without a terminal (against a real
 * server: nothing is created there).
 */
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {execa} from 'execa';
import {existsSync, readFileSync} from 'node:fs';
import path from 'node:path';
import {freshDatabase, type TestDatabase} from '../helpers/db.js';
import {CLI, ROOT, runCli, tempDir} from '../helpers/cli.js';

let db: TestDatabase;

beforeAll(async () => {
	db = await freshDatabase('cli_parser', {empty: true});
});

afterAll(async () => {
	await db?.drop();
});

/** A parse error is one paragraph: a single line on stderr, nothing on stdout. */
function expectOneParagraph(result: {exitCode: number; stdout: string; stderr: string}): string {
	expect(result.exitCode).toBe(2);
	expect(result.stdout).toBe('');
	const lines = result.stderr.trim().split('\n');
	expect(lines).toHaveLength(1);
	expect(lines[0]).toMatch(/^runbook: /);
	return lines[0]!;
}

describe('per-command help', () => {
	it('lists the commands on the global page and each command shows its own flags', async () => {
		const global = await runCli(['--help']);
		expect(global.exitCode).toBe(0);
		for (const command of ['run', 'watch', 'status', 'report', 'validate', 'rollback', 'verify-backup', 'monitor', 'sandbox', 'completion']) {
			expect(global.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
		}
		const rollback = await runCli(['rollback', '--help']);
		expect(rollback.exitCode).toBe(0);
		expect(rollback.stdout).toMatch(/^Usage: runbook rollback \[options\] <level>/);
		expect(rollback.stdout).toContain('--confirm-database <name>');
		expect(rollback.stdout).not.toContain('--go ');
		const viaHelp = await runCli(['help', 'rollback']);
		expect(viaHelp.stdout).toBe(rollback.stdout);
		const status = await runCli(['status', '--help']);
		expect(status.stdout).toMatch(/^Usage: runbook status/);
		expect(status.stdout).toContain('--json');
		expect(status.stdout).not.toContain('--lock-timeout');
	});

	it('keeps the flags of the old single parser on run', async () => {
		const run = await runCli(['run', '--help']);
		for (const flag of ['--resume', '--fresh', '--step', '--yes', '--confirm', '--go', '--confirm-database', '--backup-dir', '--backup-format', '--compress', '--lock-timeout', '--statement-timeout', '--lock-retries', '--retry-delay', '--app-role', '--app-url', '--org-id', '--test-database-url', '--window-end', '--window-start', '--server-log', '--prepared-by', '--reviewed-by', '--approved-by', '--ascii', '--scale', '--json', '--plan', '--database-url', '--state-dir']) {
			expect(run.stdout, flag).toContain(`${flag} `);
		}
	});
});

describe('the README', () => {
	it('lists exactly the flags each command\'s --help shows', async () => {
		const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
		const section = readme.slice(readme.indexOf('### Flags per command'));
		const flagsIn = (text: string) => new Set([...text.matchAll(/`(--[a-z0-9-]+)/g)].map((m) => m[1]!));
		const groups: Record<string, Set<string>> = {
			target: flagsIn(/\*target\* is ([^;]*);/.exec(section)![1]!),
			settings: flagsIn(/\*settings\* \(recorded[^)]*\) are([\s\S]*?)\. Every/.exec(section)![1]!),
		};
		const rows = [...section.matchAll(/^\| `runbook ([a-z-]+)[^`]*` \|(.*)\|$/gm)];
		const global = await runCli(['--help']);
		const commands = [...global.stdout.matchAll(/^ {2}([a-z-]+) /gm)].map((m) => m[1]!).filter((c) => c !== 'help');
		expect(rows.map((r) => r[1]).sort()).toEqual([...commands].sort());
		for (const [, command, cell] of rows) {
			const documented = flagsIn(cell!);
			for (const group of Object.keys(groups)) if (cell!.includes(`*${group}*`)) for (const f of groups[group]!) documented.add(f);
			const help = await runCli([command!, '--help']);
			const shown = new Set([...help.stdout.matchAll(/^ {2}(?:-[a-z], )?(--[a-z0-9-]+)/gm)].map((m) => m[1]!).filter((f) => f !== '--help'));
			expect([...documented].sort(), command).toEqual([...shown].sort());
		}
	});
});

describe('bad command lines: exit 2, one paragraph', () => {
	it('names the commands a misplaced flag belongs to', async () => {
		const line = expectOneParagraph(await runCli(['validate', '--go']));
		expect(line).toContain('`runbook validate` does not take --go; it belongs to `runbook run`');
		expect(line).toContain('runbook validate --help');
	});

	it('suggests the flag that was meant', async () => {
		const line = expectOneParagraph(await runCli(['run', '--lock-timout', '5s']));
		expect(line).toContain('--lock-timout');
		expect(line).toContain('--lock-timeout');
	});

	it('names an unknown command, a missing argument and a value out of range', async () => {
		expect(expectOneParagraph(await runCli(['rollbak', '1']))).toContain('does not know the command `rollbak`');
		expect(expectOneParagraph(await runCli(['rollback']))).toContain('needs a level: 1');
		expect(expectOneParagraph(await runCli(['rollback', '4']))).toContain('Allowed choices are 1, 2, 3');
		expect(expectOneParagraph(await runCli(['run', '--yes', '--compress', '12']))).toContain('--compress 12 must be a whole number from 0 to 9');
		expect(expectOneParagraph(await runCli(['run', '--yes', '--backup-format', 'tar']))).toContain("'tar' is invalid");
		expect(expectOneParagraph(await runCli(['status', 'extra']))).toContain('Too many arguments');
	});

	it('accepts the target flags before the command', async () => {
		const stateDir = tempDir('before');
		const result = await runCli(['--state-dir', stateDir, 'status']);
		expect(result.exitCode).toBe(2);
		expect(result.stderr).toContain(stateDir);
		expect(result.stderr).toContain("Start a run first");
	});
});

describe('shell completion', () => {
	it('completes commands, the flags of the command typed and the values of choices in bash', async () => {
		const complete = async (line: string): Promise<string[]> => {
			const words = line.split(' ');
			const script = [
				'source <(node "$CLI" completion bash)',
				`COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')})`,
				`COMP_CWORD=${words.length - 1}`,
				'_runbook',
				'printf "%s\\n" "${COMPREPLY[@]}"',
			].join('\n');
			const {stdout} = await execa('bash', ['-c', script], {env: {CLI}});
			return stdout.split('\n').filter(Boolean);
		};
		expect(await complete('runbook ro')).toEqual(['rollback']);
		expect(await complete('runbook rollback ')).toEqual(['1', '2', '3']);
		const rollbackFlags = await complete('runbook rollback 2 --');
		expect(rollbackFlags).toContain('--confirm-database');
		expect(rollbackFlags).not.toContain('--go');
		expect(await complete('runbook run --backup-format ')).toEqual(['custom', 'plain']);
		expect(await complete('runbook status --js')).toEqual(['--json']);
		expect(await complete('runbook completion ')).toEqual(['bash', 'zsh']);
	});

	it('loads in zsh as a completion function for runbook', async () => {
		const script = await execa('node', [CLI, 'completion', 'zsh']);
		const file = path.join(tempDir('zsh'), '_runbook');
		await execa('bash', ['-c', `cat > "${file}"`], {input: script.stdout});
		await execa('zsh', ['-n', file]);
		const {stdout} = await execa('zsh', ['-f', '-c', `autoload -U compinit && compinit -u -d "${file}.dump" && source "${file}" && print -r -- "$_comps[runbook]"`]);
		expect(stdout.trim()).toBe('_runbook');
	});
});

describe('no terminal', () => {
	it('refuses the interactive run, watch and rollback with exit 2 and the non-interactive command, touching nothing', async () => {
		const stateDir = tempDir('no-tty');
		const run = expectOneParagraph(await runCli(['run', '--database-url', db.url, '--state-dir', stateDir]));
		expect(run).toContain('needs a terminal');
		expect(run).toContain('`runbook run --yes`');
		expect(run).toContain('`runbook status`');
		expect(run).not.toContain('Raw mode');
		const implicit = expectOneParagraph(await runCli(['--database-url', db.url, '--state-dir', stateDir]));
		expect(implicit).toBe(run);
		const watch = expectOneParagraph(await runCli(['watch', '--database-url', db.url, '--state-dir', stateDir]));
		expect(watch).toContain('`runbook status`');
		const rehearsal = expectOneParagraph(await runCli(['run', '--from-backup', path.join(stateDir, 'tonight.dump'), '--database-url', db.url, '--state-dir', stateDir]));
		expect(rehearsal).toContain('`runbook rehearse --from-backup FILE`');
		const rollback = expectOneParagraph(await runCli(['rollback', '2', '--database-url', db.url, '--state-dir', stateDir]));
		expect(rollback).toContain('`runbook rollback 2 --yes --confirm-database NAME`');
		expect(existsSync(path.join(stateDir, 'journal.jsonl'))).toBe(false);
		const ledger = await db.query<{n: string | null}>(`SELECT to_regnamespace('runbook')::text AS n`);
		expect(ledger[0]!.n).toBeNull();
	});
});

describe('a command line that names its command builds only that command', () => {
	it('parses, helps and refuses exactly as the whole program does', async () => {
		const {parseCli, buildProgram} = await import('../../source/cli/parse.js');
		const {COMMANDS} = await import('../../source/cli/options.js');
		for (const command of COMMANDS.filter((c) => c !== 'help')) {
			// `runbook help X` goes through the whole program; `runbook X --help` through X alone.
			const alone = parseCli([command, '--help'], {});
			const whole = parseCli(['help', command], {});
			expect(alone.kind, command).toBe('printed');
			expect(alone, command).toEqual(whole);
		}
		const env = {DATABASE_URL: 'postgres://app@db.example/app'};
		const one = parseCli(['--state-dir', '/tmp/x', 'status', '--json'], env);
		let seen: unknown;
		const {program} = buildProgram((p) => (seen = p), env);
		program.exitOverride().parse(['status', '--state-dir', '/tmp/x', '--json'], {from: 'user'});
		expect(one.kind).toBe('options');
		expect(seen).toMatchObject({command: 'status', values: {stateDir: '/tmp/x', json: true, databaseUrl: 'postgres://app@db.example/app'}});
		if (one.kind === 'options') expect(one.options).toMatchObject({command: 'status', stateDir: '/tmp/x', json: true, databaseUrl: 'postgres://app@db.example/app'});
		expect(() => parseCli(['validate', '--go'], {})).toThrow('`runbook validate` does not take --go; it belongs to `runbook run`');
		expect(() => parseCli(['statsu'], {})).toThrow(/does not know the command `statsu`/);
	});
});
