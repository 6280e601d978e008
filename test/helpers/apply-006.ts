/** Applies the three 006 migrations to a test database with the real psql, one transaction each. */
import path from 'node:path';
import type {Target} from '../../source/db/target.js';
import {runPsql} from '../../source/proc/psql.js';
import {sqlDir} from '../../source/sandbox/prepare.js';

export const MIGRATIONS_006 = [
	'006_add_platform_databases_table.sql',
	'006_enable_rls_with_permissive_policies.sql',
	'006_register_railway_databases.sql',
] as const;

export async function applySql(target: Target, files: readonly string[]): Promise<void> {
	for (const file of files) {
		const result = await runPsql({target, steps: [{file: path.join(sqlDir, file)}], singleTransaction: true, quiet: true});
		if (result.exitCode !== 0) throw new Error(`${file} failed (${result.exitCode}):\n${result.tail.map((l) => l.line).join('\n')}`);
	}
}

/** Puts the placeholder rows back as 006_register leaves them: the file itself, run by psql after a DELETE in the same transaction. */
export async function resetPlaceholders(target: Target): Promise<void> {
	const result = await runPsql({
		target,
		steps: [{command: 'DELETE FROM platform.databases'}, {file: path.join(sqlDir, '006_register_railway_databases.sql')}],
		singleTransaction: true,
		quiet: true,
	});
	if (result.exitCode !== 0) throw new Error(`resetting the placeholders failed (${result.exitCode}):\n${result.tail.map((l) => l.line).join('\n')}`);
}
