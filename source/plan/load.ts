/**
 * Loads a plan file: YAML → zod schema → cross-reference checks. Every problem
 * is reported at once, each with file:line and the field, so a DBA fixes the
 * file in one pass.
 */
import {readFileSync} from 'node:fs';
import {createHash} from 'node:crypto';
import path from 'node:path';
import {parseDocument, LineCounter, isMap, isSeq, isScalar, type Node} from 'yaml';
import {planSchema, type Plan} from './schema.js';
import {ACTION_WITH, isActionName} from './actions.js';
import {UserError} from '../errors.js';
import {findSqlFile, indexPlan, readPlanFile, type LoadedPlan} from './loaded.js';

export {findSqlFile, indexPlan, sqlFilePath, type LoadedPlan, type PlanEntry} from './loaded.js';

export type PlanProblem = {readonly line: number; readonly field: string; readonly message: string};

export type ValidateOptions = {
	/** Names of the built-in actions the engine provides. */
	readonly actions?: readonly string[];
	/** Resolve the plan's `file:` names against this directory instead of the plan's sqlDir (--migrations). */
	readonly sqlDir?: string;
};

export class PlanError extends UserError {
	readonly problems: readonly PlanProblem[];
	constructor(file: string, problems: readonly PlanProblem[]) {
		const lines = problems.map((p) => `  ${file}:${p.line}  ${p.field ? `${p.field}: ` : ''}${p.message}`);
		super(
			`The plan file ${file} has ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${lines.join('\n')}\nFix them and run \`runbook validate ${file}\` again; nothing was run.`,
		);
		this.problems = problems;
	}
}

function nodeAt(root: Node | null | undefined, pathParts: ReadonlyArray<PropertyKey>): Node | undefined {
	let node: Node | null | undefined = root;
	let last: Node | undefined = root ?? undefined;
	for (const key of pathParts) {
		if (isMap(node)) {
			const pair = node.items.find((p) => isScalar(p.key) && p.key.value === key);
			if (!pair) return last;
			node = (pair.value as Node | null) ?? (pair.key as Node);
		} else if (isSeq(node) && typeof key === 'number') {
			node = node.items[key] as Node | undefined;
		} else {
			return last;
		}
		if (node) last = node;
	}
	return last;
}

function formatPath(parts: ReadonlyArray<PropertyKey>): string {
	let out = '';
	for (const part of parts) out += typeof part === 'number' ? `[${part}]` : `${out ? '.' : ''}${String(part)}`;
	return out;
}

export function parsePlanText(text: string, file: string, options: ValidateOptions = {}): {plan?: Plan; problems: PlanProblem[]} {
	const lineCounter = new LineCounter();
	const doc = parseDocument(text, {lineCounter, prettyErrors: false});
	const problems: PlanProblem[] = [];
	const lineOf = (node: Node | undefined) => (node?.range ? lineCounter.linePos(node.range[0]).line : 1);
	for (const error of doc.errors) {
		problems.push({line: error.linePos?.[0]?.line ?? 1, field: '', message: `YAML: ${error.message.split('\n')[0]}`});
	}
	if (problems.length > 0) return {problems};
	const raw: unknown = doc.toJS();
	const result = planSchema.safeParse(raw);
	if (!result.success) {
		for (const issue of result.error.issues) {
			const node = nodeAt(doc.contents, issue.path);
			problems.push({line: lineOf(node), field: formatPath(issue.path), message: describeIssue(issue, raw)});
		}
	}
	// Cross-references run even when the schema failed, so every problem is reported at once.
	const add = (pathParts: PropertyKey[], message: string) =>
		problems.push({line: lineOf(nodeAt(doc.contents, pathParts)), field: formatPath(pathParts), message});
	crossReferences(raw, file, options, add);
	if (!result.success) return {problems: sortProblems(problems)};
	return {plan: result.data, problems: sortProblems(problems)};
}

type Loose = Record<string, unknown>;
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const record = (value: unknown): Loose => (value && typeof value === 'object' && !Array.isArray(value) ? (value as Loose) : {});
const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

function crossReferences(raw: unknown, file: string, options: ValidateOptions, add: (path: PropertyKey[], message: string) => void): void {
	const plan = record(raw);
	const itemPaths: Array<{item: Loose; path: PropertyKey[]}> = [];
	list(plan['phases']).forEach((phase, p) => list(record(phase)['items']).forEach((item, i) => itemPaths.push({item: record(item), path: ['phases', p, 'items', i]})));
	list(plan['rollback']).forEach((level, l) => list(record(level)['items']).forEach((item, i) => itemPaths.push({item: record(item), path: ['rollback', l, 'items', i]})));
	list(plan['monitoring']).forEach((phase, p) => list(record(phase)['items']).forEach((item, i) => itemPaths.push({item: record(item), path: ['monitoring', p, 'items', i]})));
	const ids = new Set(itemPaths.map((e) => text(e.item['id'])).filter(Boolean));
	const timelineIds = new Set(list(plan['timeline']).map((t) => text(record(t)['id'])));
	const matrixIds = new Set(list(plan['decisionMatrix']).map((m) => text(record(m)['id'])));
	const refs = (value: unknown, field: PropertyKey[]) =>
		list(value).forEach((ref, r) => {
			if (typeof ref === 'string' && !ids.has(ref)) add([...field, r], `refers to \`${ref}\`, which is not an item of this plan`);
		});
	list(plan['reportVerifications']).forEach((v, vi) => refs(record(v)['items'], ['reportVerifications', vi, 'items']));
	const sqlDir = options.sqlDir ?? path.resolve(path.dirname(file), text(plan['sqlDir']) ?? '../sql');
	const seen = new Map<string, string>();
	probeReferences(plan, itemPaths, ids, matrixIds, add);
	for (const {item, path: itemPath} of itemPaths) {
		const id = text(item['id']);
		const kind = text(item['kind']);
		if (id) {
			const previous = seen.get(id);
			if (previous) add([...itemPath, 'id'], `duplicate item id \`${id}\` (first used at ${previous})`);
			else seen.set(id, formatPath(itemPath));
		}
		const timeline = text(item['timeline']);
		if (timeline && !timelineIds.has(timeline)) add([...itemPath, 'timeline'], `no timeline row has the id \`${timeline}\``);
		const onFailure = text(item['onFailure']);
		if (onFailure && !matrixIds.has(onFailure)) add([...itemPath, 'onFailure'], `no decision-matrix row has the id \`${onFailure}\``);
		if (kind === 'criterion') refs(item['items'], [...itemPath, 'items']);
		if (kind === 'sql-file') refs(item['reverts'], [...itemPath, 'reverts']);
		if (kind === 'gate') {
			list(item['go']).forEach((c, ci) => refs(record(c)['items'], [...itemPath, 'go', ci, 'items']));
			list(item['noGo']).forEach((c, ci) => refs(record(c)['items'], [...itemPath, 'noGo', ci, 'items']));
		}
		const action = text(item['action']);
		if (kind === 'action' && action && options.actions) {
			if (!options.actions.includes(action)) add([...itemPath, 'action'], `unknown action \`${action}\`; known actions: ${options.actions.join(', ')}`);
			// The action's own `with:` schema, each problem at its line (an absent `with:` is checked as {}: required fields).
			const given = isActionName(action) ? ACTION_WITH[action].safeParse(item['with'] ?? {}) : undefined;
			if (given && !given.success) for (const issue of given.error.issues) add([...itemPath, 'with', ...issue.path], describeIssue(issue, item['with']));
		}
		const sqlFile = text(item['file']);
		if (kind === 'sql-file' && sqlFile) {
			if (!findSqlFile(sqlDir, sqlFile)) {
				add([...itemPath, 'file'], `the SQL file ${sqlFile} does not exist (looked for ${path.resolve(sqlDir, sqlFile)}${path.basename(sqlFile) !== sqlFile ? ` and ${path.resolve(sqlDir, path.basename(sqlFile))}` : ''})`);
			}
		}
	}
}

/** The highest `$n` a statement uses. */
function placeholders(sql: string): number {
	return Math.max(0, ...[...sql.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])));
}

/**
 * Probes: each names a migration it applies from, its parameters match its
 * placeholders, and the forward path runs them before the first migration and
 * after every migration (so no migration goes unverified by them).
 */
function probeReferences(plan: Loose, itemPaths: ReadonlyArray<{item: Loose; path: PropertyKey[]}>, ids: ReadonlySet<string | undefined>, matrixIds: ReadonlySet<string | undefined>, add: (path: PropertyKey[], message: string) => void): void {
	const probes = list(plan['probes']);
	const forward = itemPaths.filter((e) => e.path[0] === 'phases');
	const migrations = forward.filter((e) => text(e.item['kind']) === 'sql-file' && e.item['migration'] === true);
	const migrationIds = new Set(migrations.map((e) => text(e.item['id'])));
	const probeIds = new Map<string, number>();
	probes.forEach((raw, p) => {
		const probe = record(raw);
		const id = text(probe['id']);
		if (id && probeIds.has(id)) add(['probes', p, 'id'], `duplicate probe id \`${id}\` (first at probes[${probeIds.get(id)}])`);
		if (id && ids.has(id)) add(['probes', p, 'id'], `the probe id \`${id}\` is also an item id; give the probe its own`);
		if (id && !probeIds.has(id)) probeIds.set(id, p);
		const from = text(probe['from']);
		if (from && !migrationIds.has(from)) add(['probes', p, 'from'], `\`${from}\` is not a migration of this plan (a sql-file item with migration: true); a probe applies from a migration on`);
		const onFailure = text(probe['onFailure']);
		if (onFailure && !matrixIds.has(onFailure)) add(['probes', p, 'onFailure'], `no decision-matrix row has the id \`${onFailure}\``);
		const sql = text(probe['sql']);
		const params = list(probe['params']);
		if (sql && placeholders(sql) !== params.length) add(['probes', p, 'params'], `the SQL uses ${placeholders(sql)} placeholder(s) ($1…) but ${params.length} parameter(s) are given; give one per placeholder, in order`);
	});
	const probeItems = forward.filter((e) => text(e.item['kind']) === 'probes');
	for (const {item, path: itemPath} of probeItems) {
		const after = text(item['after']);
		if (after && !migrationIds.has(after)) add([...itemPath, 'after'], `\`${after}\` is not a migration of this plan (a sql-file item with migration: true)`);
		const widespread = text(item['onWidespreadFailure']);
		if (widespread && !matrixIds.has(widespread)) add([...itemPath, 'onWidespreadFailure'], `no decision-matrix row has the id \`${widespread}\``);
		if (probes.length === 0) add([...itemPath, 'kind'], 'a probes item needs probes: add the application\'s statements to the plan\'s `probes` section, or remove this item');
	}
	if (probes.length === 0) return;
	const position = (e: {path: PropertyKey[]}) => forward.indexOf(e as (typeof forward)[number]);
	const firstMigration = migrations[0];
	const before = probeItems.filter((e) => !text(e.item['after']));
	if (before.length !== 1 || (firstMigration && position(before[0]!) > position(firstMigration))) {
		add(before[0]?.path ?? ['probes'], `the plan has ${probes.length} probe(s) but ${before.length === 0 ? 'no' : before.length > 1 ? 'more than one' : 'no earlier'} probes item without \`after\` before its first migration: add exactly one (kind: probes) before the first migration, so every later run has a "before" to compare with`);
	}
	for (const migration of migrations) {
		const id = text(migration.item['id']);
		const verifying = probeItems.filter((e) => text(e.item['after']) === id);
		if (verifying.length === 0) add([...migration.path, 'id'], `no probes item verifies the migration \`${id}\`: add one (kind: probes, after: ${id}) after it, so the application's statements are run again after this migration`);
		for (const v of verifying) if (position(v) < position(migration)) add([...v.path, 'after'], `this probes item runs before \`${id}\`, the migration it verifies; move it after that migration`);
	}
}

function sortProblems(problems: PlanProblem[]): PlanProblem[] {
	return problems.sort((a, b) => a.line - b.line);
}

function describeIssue(issue: {code: string; message: string; path: PropertyKey[]}, raw: unknown): string {
	if (issue.code === 'invalid_union' && issue.path.at(-1) !== undefined) {
		// A discriminated union with an unknown kind: name the allowed ones.
		return issue.message;
	}
	if (issue.code === 'unrecognized_keys') return issue.message.replace('Unrecognized key', 'unknown field');
	void raw;
	return issue.message;
}

export function loadPlan(file: string, options: ValidateOptions = {}): LoadedPlan {
	return loadPlanText(readPlanFile(file), file, options);
}

/** A plan file's text, validated and indexed; a PlanError lists every problem. */
export function loadPlanText(text: string, file: string, options: ValidateOptions = {}): LoadedPlan {
	const {plan, problems} = parsePlanText(text, file, options);
	if (!plan || problems.length > 0) throw new PlanError(file, problems);
	return indexPlan(plan, file, createHash('sha256').update(text).digest('hex'), options.sqlDir);
}
