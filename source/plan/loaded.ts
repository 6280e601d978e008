/**
 * A plan as the engine reads it: the validated plan, indexed (the forward
 * path in order, every item by id), and where its migration files are.
 * Imports neither the YAML parser nor the schema: a plan taken from the
 * validation cache (cache.ts) is indexed here without loading either.
 */
import {existsSync, readFileSync} from 'node:fs';
import path from 'node:path';
import type {Plan, Item} from './schema.js';
import {UserError} from '../errors.js';

export type LoadedPlan = {
	readonly plan: Plan;
	readonly file: string;
	readonly sha256: string;
	/** Absolute directory migration files are resolved against. */
	readonly sqlDir: string;
	/** Every item of the forward path, in order, with its phase. */
	readonly forward: readonly PlanEntry[];
	/** Every item anywhere (forward, rollback, monitoring), by id. */
	readonly byId: ReadonlyMap<string, PlanEntry>;
};

export type PlanEntry = {
	readonly item: Item;
	readonly phaseId: string;
	readonly phaseTitle: string;
	readonly section: 'forward' | 'rollback' | 'monitoring';
	readonly rollbackLevel?: number;
};

/**
 * Where a plan's `file:` lives in a migrations directory: `dir/file`, or, for
 * a directory laid out flat (the customer's own repository keeps its rollback
 * files beside the migrations), `dir/<base name>`. Undefined when neither exists.
 */
export function findSqlFile(dir: string, file: string): string | undefined {
	const nested = path.resolve(dir, file);
	if (existsSync(nested)) return nested;
	const flat = path.resolve(dir, path.basename(file));
	return flat !== nested && existsSync(flat) ? flat : undefined;
}

/** The absolute path of a plan's `file:` (as validated when the plan was loaded). */
export function sqlFilePath(plan: LoadedPlan, file: string): string {
	return findSqlFile(plan.sqlDir, file) ?? path.resolve(plan.sqlDir, file);
}

/** A plan file's text; a file that cannot be read is the operator's to fix. */
export function readPlanFile(file: string): string {
	try {
		return readFileSync(file, 'utf8');
	} catch (error) {
		throw new UserError(`The plan file ${file} could not be read (${(error as NodeJS.ErrnoException).code ?? String(error)}). Check the path given to --plan.`, {cause: error});
	}
}

export function indexPlan(plan: Plan, file: string, sha256: string, sqlDir?: string): LoadedPlan {
	const forward: PlanEntry[] = [];
	const byId = new Map<string, PlanEntry>();
	for (const phase of plan.phases) {
		for (const item of phase.items) {
			const entry: PlanEntry = {item, phaseId: phase.id, phaseTitle: phase.title, section: 'forward'};
			forward.push(entry);
			byId.set(item.id, entry);
		}
	}
	for (const level of plan.rollback) {
		for (const item of level.items) {
			byId.set(item.id, {item, phaseId: `rollback-${level.level}`, phaseTitle: level.title, section: 'rollback', rollbackLevel: level.level});
		}
	}
	for (const phase of plan.monitoring) {
		for (const item of phase.items) byId.set(item.id, {item, phaseId: phase.id, phaseTitle: phase.title, section: 'monitoring'});
	}
	return {plan, file, sha256, sqlDir: sqlDir ?? path.resolve(path.dirname(file), plan.sqlDir), forward, byId};
}
