/**
 * Plan files for the benchmark, derived from runbook/migration-006.yaml (the
 * plan is data): only Steps 1–3 (with the probes before and after each
 * migration), only the backup item, or one shell item. They keep the real
 * plan's timeline and decision matrix so they validate; the plans without
 * migrations drop the probes (nothing to verify).
 */
import {readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {parse, stringify} from 'yaml';
import {projectRoot, sqlDir} from '../source/paths.js';

export const PLAN_FILE = path.join(projectRoot, 'runbook', 'migration-006.yaml');

type RawParam = {from?: string; option?: string; value?: unknown};
type RawItem = {id: string; kind: string; sql?: string; file?: string; asAppRole?: boolean; after?: string; params?: RawParam[]; vars?: Record<string, RawParam>; [key: string]: unknown};
type RawPhase = {id: string; title: string; items: RawItem[]; [key: string]: unknown};
type RawProbe = {id: string; sql: string; from?: string; params?: RawParam[]};
type RawPlan = {phases: RawPhase[]; probes?: RawProbe[]; [key: string]: unknown};

function readPlan(): RawPlan {
	return parse(readFileSync(PLAN_FILE, 'utf8')) as RawPlan;
}

/** Step 1–3 items that are SQL: the migration files, the verification queries that hold without the Railway registration, the probes. */
function stepItems(phase: RawPhase): RawItem[] {
	// The registration (an action) and the checks of the registered (active) rows need REDIS_URL; they are not SQL the plan gives.
	const needsRegistration = new Set(['step3.encrypted', 'step3.decrypt']);
	return phase.items.filter((item) => (item.kind === 'sql-file' || item.kind === 'query' || item.kind === 'probes') && !needsRegistration.has(item.id));
}

/** A query's parameter as psql binds it: a run option (a psql variable) or a literal value. */
export type PsqlParam = {readonly option: string} | {readonly value: string};

/** One probe as psql runs it: its parameters from the database (bound), then the statement as the application role. */
export type PsqlProbe = {
	readonly id: string;
	readonly sql: string;
	/** Each parameter: a query (with the run option bound as its $1, if it names one) or a literal value. */
	readonly params: ReadonlyArray<{readonly from: string; readonly option?: string} | {readonly value: string}>;
};

export type MigrationPlan = {
	readonly file: string;
	/** The probes run before the first migration (the reference every later run is compared with). */
	readonly probesBefore: readonly PsqlProbe[];
	/** In order: each step's migration file, then its verification queries and the probes that apply after it. */
	readonly steps: ReadonlyArray<{
		readonly file: string;
		/** The migration's psql variables, each from a run option (`project_ref` from project-ref). */
		readonly vars: Readonly<Record<string, string>>;
		readonly queries: ReadonlyArray<{readonly id: string; readonly sql: string; readonly asAppRole: boolean; readonly params: readonly PsqlParam[]}>;
		readonly probes: readonly PsqlProbe[];
	}>;
	readonly firstItem: string;
	readonly lastItem: string;
};

function writePlan(dir: string, name: string, raw: RawPlan, phases: RawPhase[]): string {
	const verifies = phases.some((p) => p.items.some((i) => i.kind === 'probes'));
	const plan = {...raw, id: `bench-${name}`, sqlDir, phases, rollback: [], monitoring: [], reportVerifications: [], ...(verifies ? {} : {probes: []})};
	const file = path.join(dir, `${name}.yaml`);
	writeFileSync(file, stringify(plan));
	return file;
}

function optionOf(param: RawParam, itemId: string): string {
	if (!param.option || param.from !== undefined) throw new Error(`bench bug: ${itemId} takes a parameter the psql side cannot give (only run options and values)`);
	return param.option;
}

/** The psql variable that carries a run option (project-ref → rb_option_project_ref). */
export function optionVariable(option: string): string {
	return `rb_option_${option.replace(/\W/g, '_')}`;
}

function psqlProbe(probe: RawProbe): PsqlProbe {
	return {
		id: probe.id,
		sql: probe.sql,
		params: (probe.params ?? []).map((p) => (p.from !== undefined ? {from: p.from, ...(p.option ? {option: p.option} : {})} : {value: String(p.value)})),
	};
}

export function writeMigrationPlan(dir: string): MigrationPlan {
	const raw = readPlan();
	const before = raw.phases.flatMap((p) => p.items).find((i) => i.kind === 'probes' && i.after === undefined);
	if (!before) throw new Error('bench bug: the plan has no probes item before its migrations');
	const steps = raw.phases.filter((p) => ['step1', 'step2', 'step3'].includes(p.id)).map((p) => ({...p, items: stepItems(p)}));
	const phases = [{id: 'ready', title: 'Before the migrations', items: [before]}, ...steps];
	const file = writePlan(dir, 'migrations', raw, phases);
	const probes = raw.probes ?? [];
	const applied: string[] = [];
	const stepsOut = steps.map((p) => {
		const migration = p.items.find((i) => i.kind === 'sql-file');
		if (!migration?.file) throw new Error(`bench bug: phase ${p.id} has no sql-file item`);
		applied.push(migration.id);
		const verified = p.items.some((i) => i.kind === 'probes');
		return {
			file: path.join(sqlDir, migration.file),
			vars: Object.fromEntries(Object.entries(migration.vars ?? {}).map(([name, param]) => [name, optionOf(param, migration.id)])),
			queries: p.items
				.filter((i) => i.kind === 'query')
				.map((i) => ({id: i.id, sql: String(i.sql), asAppRole: Boolean(i.asAppRole), params: (i.params ?? []).map((param) => (param.value !== undefined ? {value: String(param.value)} : {option: optionOf(param, i.id)}))})),
			probes: verified ? probes.filter((pr) => pr.from === undefined || applied.includes(pr.from)).map(psqlProbe) : [],
		};
	});
	const all = phases.flatMap((p) => p.items);
	return {file, probesBefore: probes.filter((pr) => pr.from === undefined).map(psqlProbe), steps: stepsOut, firstItem: all[0]!.id, lastItem: all.at(-1)!.id};
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

/** The verification queries of one step as a psql script (app-role checks under SET LOCAL ROLE, rolled back; parameters bound from psql variables). */
export function verificationScript(queries: MigrationPlan['steps'][number]['queries'], appRole: string, stage: string): {script: string; variables: Record<string, string>} {
	const variables: Record<string, string> = {};
	const script = queries
		.map((q, n) => {
			let statement = `${q.sql};`;
			if (q.params.length > 0) {
				const name = `rb_${stage}_q${n}`;
				const args = q.params.map((param, i) => {
					if ('option' in param) return `:'${optionVariable(param.option)}'`;
					variables[`${name}_${i}`] = param.value;
					return `:'${name}_${i}'`;
				});
				statement = `PREPARE ${name} AS ${q.sql};\nEXECUTE ${name}(${args.join(', ')});`;
			}
			return q.asAppRole ? `BEGIN;\nSET LOCAL ROLE ${appRole};\n${statement}\nROLLBACK;` : statement;
		})
		.join('\n');
	return {script, variables};
}

/**
 * Probes as a psql script, the way the runbook runs them: in a transaction
 * that is rolled back, each parameter read by the migration role (a prepared
 * query, the run option bound as its $1, its value kept with \gset as the
 * server quotes it, NULL when it finds no row), then the statement as the
 * application role, prepared and executed with the values as parameters.
 * Literal values and the option come in as psql variables (`variables`),
 * never spliced into the text here.
 */
export function probesScript(probes: readonly PsqlProbe[], appRole: string, stage: string): {script: string; variables: Record<string, string>} {
	const variables: Record<string, string> = {};
	// A probe may fail by design (a readiness probe for a pending migration): the runbook records it and goes on, so does psql.
	const lines: string[] = ['\\set ON_ERROR_STOP 0'];
	for (const [n, probe] of probes.entries()) {
		const name = `rb_${stage}_${n}`;
		lines.push('BEGIN;');
		const args = probe.params.map((param, i) => {
			const v = `${name}_${i}`;
			if ('value' in param) {
				variables[v] = param.value;
				return `:'${v}'`;
			}
			lines.push(`PREPARE ${v} AS SELECT quote_nullable((SELECT q.v::text FROM (${param.from}) AS q(v) LIMIT 1)) AS v;`);
			lines.push(`EXECUTE ${v}${param.option ? `(:'${optionVariable(param.option)}')` : ''} \\gset ${v}_`);
			return `:${v}_v`;
		});
		lines.push(`SET LOCAL ROLE ${appRole};`);
		lines.push(`PREPARE ${name} AS ${probe.sql};`);
		lines.push(`EXECUTE ${name}${args.length > 0 ? `(${args.join(', ')})` : ''};`);
		lines.push('ROLLBACK;');
	}
	return {script: lines.join('\n'), variables};
}
