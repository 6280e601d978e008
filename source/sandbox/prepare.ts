/**
 * Builds a database in the state the plan expects before its window: the
 * prerequisite migrations 001–005 applied with the real psql, then realistic
 * data at a given scale.
 */
import path from 'node:path';
import type {Target} from '../db/target.js';
import {runPsql} from '../proc/psql.js';
import {UserError} from '../errors.js';
import {seedData, type SeedOptions} from './data.js';

import {sqlDir} from '../paths.js';

export {projectRoot, sqlDir} from '../paths.js';

export const PREREQUISITES = [
	'001_create_platform_schema.sql',
	'002_platform_billing_schema.sql',
	'003_user_management_and_permissions.sql',
	'004_create_lancio_org.sql',
	'005_create_audit_logs.sql',
] as const;

export async function applySqlFiles(target: Target, files: readonly string[]): Promise<void> {
	for (const file of files) {
		const full = path.isAbsolute(file) ? file : path.join(sqlDir, file);
		const result = await runPsql({target, steps: [{file: full}], singleTransaction: true, quiet: true, applicationName: 'runbook-sandbox'});
		if (result.exitCode !== 0) {
			throw new UserError(
				`Applying ${path.basename(full)} to ${target.display} failed with exit code ${result.exitCode}:\n${result.tail.map((l) => l.line).join('\n')}`,
			);
		}
	}
}

export async function preparePrerequisites(target: Target, seed: SeedOptions = {}): Promise<void> {
	await applySqlFiles(target, PREREQUISITES);
	await seedData(target, seed);
}
