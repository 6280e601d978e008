/** A rehearsed migration file's measurement: the server log's statements and the sampled locks, put together. */
import {readFile} from 'node:fs/promises';
import type {LockSamples} from '../db/lock-sampler.js';
import {readSessionStatements} from './statement-log.js';
import {measureMigration, type MigrationMeasurement} from './migration-measure.js';

export async function measureRehearsedMigration(input: {
	readonly serverLog: string;
	readonly applicationName: string;
	/** The migration file psql ran. */
	readonly file: string;
	readonly samples: LockSamples;
}): Promise<MigrationMeasurement> {
	const [logged, migrationSql] = await Promise.all([readSessionStatements(input.serverLog, input.applicationName), readFile(input.file, 'utf8')]);
	return measureMigration({logged, samples: input.samples, migrationSql});
}
