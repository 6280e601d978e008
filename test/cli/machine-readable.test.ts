/**
 * Issue 12 through the CLI, against a real server: NDJSON from `run --json`,
 * the versioned JSON of status/validate/verify-backup/report, the run's
 * settings recorded and reused by --resume (a changed flag refused with
 * --yes), `status` from the server's ledger with no local state, backup
 * progress by table against the catalog's sizes, and the report's Mermaid
 * pictures. The database has an extra schema a stranger might have (bulk),
 * big enough for the backup to report progress while it runs.
 */
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {existsSync, readFileSync, writeFileSync, readdirSync} from 'node:fs';
import path from 'node:path';
import {DEFAULT_LOCK_RETRIES} from '../../source/db/lock-timeout.js';
import {parse, stringify} from 'yaml';
import {execa} from 'execa';
import {freshDatabase, type TestDatabase} from '../helpers/db.js';
import {PLAN, runCli, subsetPlan, tempDir, journalEvents, type CliResult} from '../helpers/cli.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let db: TestDatabase;
let planFile: string;
let stateDir: string;
let backupDir: string;
let first: CliResult;
let refused: CliResult;
let resumed: CliResult;
let journalAfterFirst: number;
let journalAfterRefusal: number;

function ndjson(stdout: string): Json[] {
	const lines = stdout.split('\n').filter((l) => l.length > 0);
	return lines.map((line) => JSON.parse(line) as Json);
}

beforeAll(async () => {
	db = await freshDatabase('machine_readable');
	await db.query('CREATE SCHEMA bulk');
	await db.query(`CREATE TABLE bulk.payload AS SELECT g AS id, md5(g::text) || repeat(md5((g * 7)::text), 16) AS filler FROM generate_series(1, 250000) g`);
	const file = subsetPlan(['pre-backup', 'pre-readiness', 'step1', 'step2', 'post-performance']);
	const plan = parse(readFileSync(file, 'utf8')) as Json;
	plan['phases'] = plan['phases'].map((p: Json) => (p['id'] === 'pre-readiness' ? {...p, items: p['items'].filter((i: Json) => i['id'] === 'ready.baseline-before' || i['id'] === 'ready.objects-before')} : p));
	planFile = path.join(path.dirname(file), 'machine-readable.yaml');
	writeFileSync(planFile, stringify(plan));
	stateDir = tempDir('machine');
	backupDir = tempDir('machine-backups');
	const target = ['--database-url', db.url, '--state-dir', stateDir, '--plan', planFile];
	// 1: stops at the manual item backup.globals (no --confirm): exit 3, settings recorded.
	first = await runCli(['run', '--yes', '--json', ...target, '--app-role', 'runbook_app', '--lock-timeout', '7s', '--backup-dir', backupDir, '--app-url', 'http://checker:Pw-s3cret-42@127.0.0.1:9/']);
	journalAfterFirst = journalEvents(stateDir).length;
	// 2: the same run resumed with another lock timeout under --yes: refused, nothing run.
	refused = await runCli(['run', '--yes', '--resume', '--confirm', 'all', ...target, '--lock-timeout', '9s']);
	journalAfterRefusal = journalEvents(stateDir).length;
	// 3: resumed with no settings at all: the recorded ones apply (the application role for the after baseline).
	resumed = await runCli(['run', '--yes', '--json', '--resume', '--confirm', 'all', ...target], {}, 300_000);
}, 400_000);

afterAll(async () => {
	await db?.drop();
});

describe('run --yes --json', () => {
	it('writes NDJSON: one versioned event per line, from run-started to run-stopped', () => {
		expect(first.exitCode, first.stderr).toBe(3);
		const events = ndjson(first.stdout);
		expect(events.length).toBeGreaterThan(10);
		for (const e of events) {
			expect(e['schema']).toBe('runbook.event');
			expect(e['version']).toBe(1);
			expect(typeof e['seq']).toBe('number');
			expect(typeof e['type']).toBe('string');
		}
		expect(events[0]!['type']).toBe('run-started');
		expect(events.at(-1)).toMatchObject({type: 'run-stopped', status: 'stopped-at-gate'});
		expect(events.at(-1)!['message']).toContain('--confirm backup.globals');
		expect(events.filter((e) => e['type'] === 'item-passed').map((e) => e['itemId'])).toContain('backup.test-restore');
		// seq is the journal's: consecutive, none lost between the start and the first subscriber.
		expect(events.map((e) => e['seq'])).toEqual(events.map((_, i) => (events[0]!['seq'] as number) + i));
		// Human lines stay on stderr.
		expect(first.stderr).toContain('state: ');
		const again = ndjson(resumed.stdout);
		expect(resumed.exitCode, resumed.stderr).toBe(0);
		expect(again[0]).toMatchObject({type: 'run-started', resumed: true});
		expect(again.at(-1)).toMatchObject({type: 'run-stopped', status: 'completed'});
	});
});

describe('backup progress', () => {
	it('says table N of M, bytes of the catalog total and an ETA, with M the tables whose data the dump holds', async () => {
		const dump = readdirSync(backupDir).find((f) => f.endsWith('.dump'))!;
		const {stdout: list} = await execa('pg_restore', ['--list', path.join(backupDir, dump)]);
		const dumped = list.split('\n').filter((l) => / TABLE DATA /.test(l)).length;
		const progress = ndjson(first.stdout).filter((e) => e['type'] === 'progress' && e['itemId'] === 'backup.create');
		const tables = progress.map((e) => /^table (\d+) of (\d+), (.+?) of ~(.+?), ETA (\S+) \(([^)]+)\);/.exec(e['message'] as string)).filter((m): m is RegExpExecArray => m !== null);
		expect(tables.length, progress.map((e) => e['message']).join('\n')).toBeGreaterThan(0);
		expect(dumped).toBeGreaterThan(20);
		for (const t of tables) expect(Number(t[2])).toBe(dumped);
		// Each table named is one the dump holds (progress comes every 300 ms: which tables a report falls on depends
		// on how fast pg_dump writes them); the stranger's extra schema is in the dump.
		const names = new Set(list.split('\n').flatMap((l) => {
			const m = / TABLE DATA (\S+) (\S+) /.exec(l);
			return m ? [`${m[1]}.${m[2]}`] : [];
		}));
		expect(names.has('bulk.payload')).toBe(true);
		for (const t of tables) expect(names, t[6]).toContain(t[6]);
		expect(tables.some((t) => t[5] !== '…')).toBe(true);
		const fractions = progress.map((e) => e['fraction']).filter((f): f is number => typeof f === 'number');
		expect(fractions.length).toBeGreaterThan(0);
		for (const f of fractions) expect(f).toBeGreaterThanOrEqual(0);
		for (const f of fractions) expect(f).toBeLessThanOrEqual(1);
		// The backup went where the first run said, and stayed there on resume.
		expect(readdirSync(backupDir).some((f) => f.endsWith('.dump'))).toBe(true);
	});
});

describe('settings kept with the run', () => {
	it('records the settings at the start, without secrets', () => {
		const file = path.join(stateDir, 'settings.json');
		const text = readFileSync(file, 'utf8');
		expect(text).not.toContain('Pw-s3cret-42');
		const settings = JSON.parse(text) as Json;
		expect(settings).toMatchObject({schema: 'runbook.settings', version: 1});
		expect(settings['settings']).toMatchObject({'app-role': 'runbook_app', 'lock-timeout': '7s', 'backup-dir': backupDir, 'lock-retries': String(DEFAULT_LOCK_RETRIES)});
		expect(settings['settings']['app-url']).toContain('checker@127.0.0.1');
	});

	it('refuses a changed flag on resume under --yes, exit 2, naming both values, running nothing', () => {
		expect(refused.exitCode).toBe(2);
		expect(refused.stderr).toContain('--lock-timeout 9s (the run started with 7s)');
		expect(refused.stderr.trim().split('\n')).toHaveLength(1);
		expect(journalAfterRefusal).toBe(journalAfterFirst);
	});

	it('reuses the recorded settings when --resume is given without them', () => {
		expect(resumed.stderr).toContain('settings: those the run started with');
		const state = JSON.parse(readFileSync(path.join(stateDir, 'state.json'), 'utf8')) as Json;
		expect(state['data']['baseline-after']['ranAs']['role']).toBe('runbook_app');
	});
});

describe('status --json', () => {
	it('is a stable public shape with a version, not the internal state', async () => {
		const result = await runCli(['status', '--json', '--state-dir', stateDir, '--plan', planFile]);
		expect(result.exitCode).toBe(0);
		const status = JSON.parse(result.stdout) as Json;
		expect(status).toMatchObject({schema: 'runbook.status', version: 1, source: 'state', run: {status: 'completed'}});
		expect(status['data']).toBeUndefined();
		const plan = parse(readFileSync(planFile, 'utf8')) as Json;
		const ids = plan['phases'].flatMap((p: Json) => p['items'].map((i: Json) => i['id']));
		expect(status['items'].filter((i: Json) => i['section'] === 'forward').map((i: Json) => i['id'])).toEqual(ids);
		expect(status['progress']).toMatchObject({total: ids.length, passed: ids.length});
		expect(status['baseline']['queries'].length).toBeGreaterThan(0);
	});
});

describe('status from the server', () => {
	it('connects without node loading undici (pg\'s runtime check constructs a fetch Response, which the bundle answers at once)', async () => {
		const empty = tempDir('no-undici');
		const preload = path.join(empty, 'report.mjs');
		writeFileSync(preload, "process.on('exit', () => process.stderr.write(`undici loaded: ${process.moduleLoadList.some((m) => m.includes('undici'))}\\n`));\n");
		const json = await runCli(['status', '--json', '--database-url', db.url, '--state-dir', empty, '--plan', planFile], {NODE_OPTIONS: `--import=${preload}`});
		expect(json.exitCode, json.stderr).toBe(0);
		expect(JSON.parse(json.stdout)).toMatchObject({source: 'server', ledger: true});
		expect(json.stderr).toContain('undici loaded: false');
	});

	it('with no local state, reads the ledger: what was applied, when and by whom', async () => {
		const empty = tempDir('no-state');
		const [{who}] = (await db.query<{who: string}>('SELECT current_user AS who')) as [{who: string}];
		const json = await runCli(['status', '--json', '--database-url', db.url, '--state-dir', empty, '--plan', planFile]);
		expect(json.exitCode, json.stderr).toBe(0);
		const status = JSON.parse(json.stdout) as Json;
		expect(status).toMatchObject({schema: 'runbook.status', version: 1, source: 'server', ledger: true});
		const applied = await db.query<{item: string; applied_at: Date}>('SELECT item, applied_at FROM runbook.applied_migrations ORDER BY item');
		expect(status['migrations'].filter((m: Json) => m['state'] === 'applied').map((m: Json) => m['item']).sort()).toEqual(applied.map((r) => r.item));
		for (const m of status['migrations']) {
			expect(m['applied']['appliedBy']).toBe(who);
			expect(m['applied']['appliedAt']).toBe(applied.find((r) => r.item === m['item'])!.applied_at.toISOString());
		}
		expect(status['events'].map((e: Json) => e['action'])).toEqual(applied.map(() => 'apply'));
		const text = await runCli(['status', '--database-url', db.url, '--state-dir', empty, '--plan', planFile]);
		expect(text.exitCode).toBe(0);
		expect(text.stdout).toMatch(/step1\.apply\s+APPLIED\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\s+\S+\s+\S+/);
		expect(text.stdout).toContain('History (runbook.events');
		expect(existsSync(path.join(empty, 'journal.jsonl'))).toBe(false);
	});

	it('says "no ledger" for a database runbook never touched, and creates nothing there', async () => {
		const untouched = await freshDatabase('status_untouched', {empty: true});
		try {
			const result = await runCli(['status', '--database-url', untouched.url, '--state-dir', tempDir('no-state-2'), '--plan', planFile]);
			expect(result.exitCode).toBe(0);
			expect(result.stdout).toContain('No ledger');
			expect(result.stdout).toContain('step1.apply');
			const [{n}] = (await untouched.query<{n: string | null}>(`SELECT to_regnamespace('runbook')::text AS n`)) as [{n: string | null}];
			expect(n).toBeNull();
		} finally {
			await untouched.drop();
		}
	});
});

describe('report', () => {
	it('report.md draws the timeline as a Mermaid gantt and the baselines as an xychart', async () => {
		const result = await runCli(['report', '--state-dir', stateDir, '--plan', planFile]);
		expect(result.exitCode).toBe(0);
		const md = result.stdout;
		const gantt = /```mermaid\ngantt\n([\s\S]*?)```/.exec(md)?.[1];
		expect(gantt).toBeDefined();
		expect(gantt).toContain('dateFormat YYYY-MM-DD HH:mm:ss');
		expect(gantt).toMatch(/planned :p\d+, \d{4}-\d\d-\d\d \d\d:\d\d:\d\d, \d+s/);
		expect(gantt).toMatch(/actual :done, a\d+, \d{4}-\d\d-\d\d \d\d:\d\d:\d\d, \d+s/);
		const chart = /```mermaid\nxychart-beta\n([\s\S]*?)```/.exec(md)?.[1];
		expect(chart).toBeDefined();
		const state = JSON.parse(readFileSync(path.join(stateDir, 'state.json'), 'utf8')) as Json;
		const queries = state['data']['baseline-comparison']['comparison']['queries'] as Json[];
		expect(chart).toContain(`x-axis [${queries.map((q) => `"${q['id']}"`).join(', ')}]`);
		expect(chart).toContain(`bar [${queries.map((q) => String(Math.round(q['beforeMedian'] * 1000) / 1000)).join(', ')}]`);
		expect(chart).toContain(`line [${queries.map((q) => String(Math.round(q['afterMedian'] * 1000) / 1000)).join(', ')}]`);
	});

	it('report --json is versioned and carries the numbers behind both pictures', async () => {
		const result = await runCli(['report', '--json', '--state-dir', stateDir, '--plan', planFile]);
		expect(result.exitCode).toBe(0);
		const report = JSON.parse(result.stdout) as Json;
		expect(report).toMatchObject({schema: 'runbook.report', version: 1, status: 'SUCCESS'});
		expect(report['secrets']).toBeUndefined();
		expect(report['timeline'].length).toBeGreaterThan(0);
		expect(report['timeline'].every((r: Json) => typeof r['plannedStart'] === 'string')).toBe(true);
		expect(report['baselineQueries'].length).toBeGreaterThan(0);
	});
});

describe('validate --json and verify-backup --json', () => {
	it('validate gives the counts of a valid plan and every problem of a broken one', async () => {
		const ok = await runCli(['validate', PLAN, '--json']);
		expect(ok.exitCode).toBe(0);
		const valid = JSON.parse(ok.stdout) as Json;
		const plan = parse(readFileSync(PLAN, 'utf8')) as Json;
		expect(valid).toMatchObject({schema: 'runbook.validate', version: 1, valid: true, problems: []});
		expect(valid['counts']['forwardItems']).toBe(plan['phases'].reduce((n: number, p: Json) => n + p['items'].length, 0));
		const broken = path.join(tempDir('broken'), 'broken.yaml');
		writeFileSync(broken, readFileSync(PLAN, 'utf8').replace('kind: backup', 'kind: backupp'));
		const bad = await runCli(['validate', broken, '--json']);
		expect(bad.exitCode).toBe(2);
		const invalid = JSON.parse(bad.stdout) as Json;
		expect(invalid).toMatchObject({schema: 'runbook.validate', version: 1, valid: false});
		expect(invalid['problems'].length).toBeGreaterThan(0);
		expect(typeof invalid['problems'][0]['line']).toBe('number');
	});

	it('verify-backup reports each check and the checksum the run recorded', async () => {
		const state = JSON.parse(readFileSync(path.join(stateDir, 'state.json'), 'utf8')) as Json;
		const backup = state['data']['backup'] as Json;
		const result = await runCli(['verify-backup', backup['file'], '--sha256', backup['sha256'], '--json']);
		expect(result.exitCode).toBe(0);
		const verified = JSON.parse(result.stdout) as Json;
		expect(verified).toMatchObject({schema: 'runbook.verify-backup', version: 1, ok: true, sha256: backup['sha256'], bytes: backup['bytes'], format: 'custom'});
		expect(verified['checks'].every((c: Json) => c['ok'] === true)).toBe(true);
	});
});
