/**
 * The plan every command runs on: --plan, with --migrations for its files,
 * validated once per content (plan/cache.ts). Light on purpose: `status`,
 * `watch` and `cleanup` import it without the engine.
 */
import {existsSync} from 'node:fs';
import {UserError} from '../errors.js';
import {ACTION_NAMES} from '../plan/action-names.js';
import {loadPlanCached} from '../plan/cache.js';
import type {LoadedPlan} from '../plan/loaded.js';
import type {CliOptions} from './options.js';

export async function loadPlanForCli(options: Pick<CliOptions, 'planFile' | 'migrationsDir'>): Promise<LoadedPlan> {
	if (options.migrationsDir && !existsSync(options.migrationsDir)) {
		throw new UserError(`--migrations ${options.migrationsDir} does not exist. Give the directory that holds the migration files (the plan's file: names are looked up there), or leave the flag out to run the runbook's own sql/.`);
	}
	return loadPlanCached(options.planFile, {actions: ACTION_NAMES, ...(options.migrationsDir ? {sqlDir: options.migrationsDir} : {})});
}
