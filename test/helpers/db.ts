/**
 * A fresh database per test file, copied from the template the global setup
 * prepared (001–005 plus data), so tests never see each other's changes.
 */
import {inject} from 'vitest';
import pg from 'pg';
import {execa} from 'execa';
import {randomBytes} from 'node:crypto';
import {parseTarget, type Target} from '../../source/db/target.js';
import {createDatabase, dropDatabase, adminQuery} from '../../source/sandbox/server.js';

export type TestDatabase = {
	readonly name: string;
	readonly target: Target;
	/** The URL with the throwaway superuser password (tests only). */
	readonly url: string;
	readonly admin: Target;
	readonly adminUrl: string;
	readonly query: <T extends Record<string, unknown> = Record<string, unknown>>(sql: string, params?: unknown[]) => Promise<T[]>;
	readonly drop: () => Promise<void>;
};

export function adminTarget(): {admin: Target; adminUrl: string} {
	const adminUrl = inject('adminUrl');
	return {admin: parseTarget(adminUrl), adminUrl};
}

/** Creates `prefix_<random>` from the template (or empty when `empty` is set). */
export async function freshDatabase(prefix: string, options: {empty?: boolean} = {}): Promise<TestDatabase> {
	const {admin, adminUrl} = adminTarget();
	const name = `${prefix.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
	const target = await createDatabase(admin, name, options.empty ? undefined : inject('templateName'));
	const url = new URL(adminUrl);
	url.pathname = `/${name}`;
	return {
		name,
		target,
		url: url.toString(),
		admin,
		adminUrl,
		query: async <T extends Record<string, unknown>>(sql: string, params: unknown[] = []) =>
			(await adminQuery(target, sql, params)).rows as T[],
		drop: () => dropDatabase(admin, name),
	};
}

/** A session of the test's own (a lock holder, the "application"); errors after a forced drop are expected. */
export async function connectTo(db: TestDatabase, applicationName: string): Promise<pg.Client> {
	const client = new pg.Client(db.target.clientConfig({application_name: applicationName}));
	client.on('error', () => undefined);
	await client.connect();
	return client;
}

/**
 * `pg_dump --schema-only` of a database (one schema, or all), as text to
 * compare: pg_dump 15.14+ writes a random \\restrict key per run, dropped here.
 */
export async function schemaDump(target: Target, options: {schema?: string} = {}): Promise<string> {
	const {stdout} = await execa('pg_dump', ['--schema-only', '--no-password', ...(options.schema ? ['-n', options.schema] : [])], {env: target.childEnv()});
	return stdout
		.split('\n')
		.filter((line) => !/^\\(?:un)?restrict /.test(line))
		.join('\n');
}
