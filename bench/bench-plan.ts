/**
 * Plan files for the benchmark, derived from runbook/migration-006.yaml (the
 * plan is data): only Steps 1–3, only the backup item, or one shell item.
 * They keep the real plan's timeline and decision matrix so they validate.
 */
import {readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {parse, stringify} from 'yaml';
import {projectRoot, sqlDir} from '../source/paths.js';

export const PLAN_FILE = path.join(projectRoot, 'runbook', 'migration-006.yaml');

type RawItem = {id: string; kind: string; sql?: string; file?: string; asAppRole?: boolean; [key: string]: unknown};
type RawPhase = {id: string; title: string; items: RawItem[]; [key: string]: unknown};
type RawPlan = {phases: RawPhase[]; [key: string]: unknown};

function readPlan(): RawPlan {
	return parse(readFileSync(PLAN_FILE, 'utf8')) as RawPlan;
}

/** Step 1–3 items that are SQL: the migration files and the verification queries that hold without the Railway registration. */
function stepItems(phase: RawPhase): RawItem[] {
	// The registration (an action) and the checks of the registered (active) rows need REDIS_URL; they are not SQL the plan gives.
	const needsRegistration = new Set(['step3.encrypted', 'step3.decrypt']);
	return phase.items.filter((item) => (item.kind === 'sql-file' || item.kind === 'query') && !needsRegistration.has(item.id));
}

export type MigrationPlan = {
	readonly file: string;
	/** In order: each step's migration file, then its verification queries. */
	readonly steps: ReadonlyArray<{readonly file: string; readonly queries: ReadonlyArray<{readonly id: string; readonly sql: string; readonly asAppRole: boolean}>}>;
	readonly firstItem: string;
	readonly lastItem: string;
};

function writePlan(dir: string, name: string, raw: RawPlan, phases: RawPhase[]): string {
	const plan = {...raw, id: `bench-${name}`, sqlDir, phases, rollback: [], monitoring: [], reportVerifications: []};
	const file = path.join(dir, `${name}.yaml`);
	writeFileSync(file, stringify(plan));
	return file;
}

export function writeMigrationPlan(dir: string): MigrationPlan {
	const raw = readPlan();
	const phases = raw.phases.filter((p) => ['step1', 'step2', 'step3'].includes(p.id)).map((p) => ({...p, items: stepItems(p)}));
	const file = writePlan(dir, 'migrations', raw, phases);
	const steps = phases.map((p) => {
		const migration = p.items.find((i) => i.kind === 'sql-file');
		if (!migration?.file) throw new Error(`bench bug: phase ${p.id} has no sql-file item`);
		return {
			file: path.join(sqlDir, migration.file),
			queries: p.items.filter((i) => i.kind === 'query').map((i) => ({id: i.id, sql: String(i.sql), asAppRole: Boolean(i.asAppRole)})),
		};
	});
	const all = phases.flatMap((p) => p.items);
	return {file, steps, firstItem: all[0]!.id, lastItem: all.at(-1)!.id};
}

export function writeBackupPlan(dir: string): string {
	const raw = readPlan();
	const source = raw.phases.find((p) => p.id === 'pre-backup');
	const item = source?.items.find((i) => i.kind === 'backup');
	if (!source || !item) throw new Error('bench bug: the plan has no backup item');
	return writePlan(dir, 'backup', raw, [{...source, items: [item]}]);
}

export function writeShellPlan(dir: string, command: string, args: readonly string[]): string {
	const raw = readPlan();
	return writePlan(dir, 'flood', raw, [
		{id: 'flood', title: 'A child process printing a flood of output', items: [{id: 'flood.print', kind: 'shell', title: 'Print 200 MB', command, args: [...args]}]},
	]);
}

/** The verification queries of one step as a psql script (app-role checks under SET LOCAL ROLE, rolled back). */
export function verificationScript(queries: MigrationPlan['steps'][number]['queries'], appRole: string): string {
	return queries
		.map((q) => (q.asAppRole ? `BEGIN;\nSET LOCAL ROLE ${appRole};\n${q.sql};\nROLLBACK;` : `${q.sql};`))
		.join('\n');
}
