/**
 * sql/pending/008_databases_no_plaintext_at_rest.sql, the hardening of
 * plan-review defect #5 that 006 leaves for later (decision 3): it refuses to
 * run, and changes nothing, unless its session setting is on AND the
 * application role can read through the decrypt function; once allowed, no
 * plaintext is left at rest and the password column is gone, while every URL
 * still reads back through decrypt_database_connection_string.
 */
import {afterAll, beforeAll, describe, expect, test} from 'vitest';
import {freshDatabase, type TestDatabase} from '../helpers/db.js';
import {applyFile, applyFiles, MIGRATIONS, PENDING_008, rolledBack, schemaDump, withSession, applyAndObserve} from '../helpers/sql.js';

let db: TestDatabase;
let schemaBefore: string;
let rowsBefore: unknown[];

const REDIS_URL = 'redis://default:h4rden-me@redis.railway.internal:6379/0';
const ALLOW = {'app.allow_hardening_008': 'on', 'app.hardening_008_app_role': 'runbook_app'};
const ROWS = `SELECT name, connection_string, password, encode(connection_string_encrypted, 'hex') AS ciphertext, key_version FROM platform.databases ORDER BY name`;

/** 001–006 with the Redis row registered, as the window leaves it. */
async function migrated(prefix: string): Promise<TestDatabase> {
	const fresh = await freshDatabase(prefix);
	await applyFiles(fresh.target, MIGRATIONS);
	await fresh.query(`UPDATE platform.databases SET connection_string = $1, password = 'h4rden-me', status = 'active' WHERE name = 'Railway Redis'`, [REDIS_URL]);
	return fresh;
}

beforeAll(async () => {
	db = await migrated('sql_m008');
	schemaBefore = await schemaDump(db.target);
	rowsBefore = await db.query(ROWS);
});

afterAll(async () => {
	await db.drop();
});

/** Applies 008 with `settings` and returns what a refusal changes: exit code, ERROR lines, schema and rows after. */
async function refusal(settings?: Record<string, string>) {
	const observed = await applyAndObserve(db.target, PENDING_008, settings ? {settings} : {});
	return {...observed, rows: await db.query(ROWS)};
}

describe('008 guard', () => {
	test('without app.allow_hardening_008 it raises, and neither the schema nor a row changes', async () => {
		expect(await refusal()).toEqual({
			exitCode: 3,
			error: [expect.stringContaining('ERROR:  migration 008 (no plaintext at rest) is pending and must not run: app.allow_hardening_008 is not on')],
			after: schemaBefore,
			rows: rowsBefore,
		});
	});

	test('allowed, but the application role cannot execute the decrypt function (the application change is missing): it raises and changes nothing', async () => {
		expect(await refusal(ALLOW)).toEqual({
			exitCode: 3,
			error: [expect.stringContaining('ERROR:  migration 008: application role runbook_app cannot execute platform.decrypt_database_connection_string(uuid)')],
			after: schemaBefore,
			rows: rowsBefore,
		});
	});

	test('allowed without naming the application role, it raises and changes nothing', async () => {
		expect(await refusal({'app.allow_hardening_008': 'on'})).toEqual({
			exitCode: 3,
			error: [expect.stringContaining('ERROR:  migration 008 needs the application role: app.hardening_008_app_role is not set')],
			after: schemaBefore,
			rows: rowsBefore,
		});
	});
});

describe('008 allowed, after the application change (runbook_app may decrypt)', () => {
	// A database of its own: applying 008 must not reach the guard's tests, whatever order they run in.
	let db: TestDatabase;
	beforeAll(async () => {
		db = await migrated('sql_m008_allowed');
		await db.query('GRANT EXECUTE ON FUNCTION platform.decrypt_database_connection_string(uuid) TO runbook_app');
		const result = await applyFile(db.target, PENDING_008, {settings: ALLOW});
		if (result.exitCode !== 0) throw new Error(result.stderr.join('\n'));
	});
	afterAll(async () => {
		await db.drop();
	});

	test('no plaintext is left: connection_string is NULL in every row and the password column is gone', async () => {
		const rows = await db.query(`SELECT count(*) FILTER (WHERE connection_string IS NOT NULL)::int AS plaintext,
			(SELECT count(*)::int FROM information_schema.columns WHERE table_schema = 'platform' AND table_name = 'databases' AND column_name = 'password') AS password_columns
			FROM platform.databases`);
		expect(rows).toEqual([{plaintext: 0, password_columns: 0}]);
	});

	test('the application’s new read (through the decrypt function, as runbook_app) still gets the Redis URL', async () => {
		const rows = await withSession(db.target, async (client) => {
			await client.query('SET ROLE runbook_app');
			const {rows} = await client.query(`SELECT d.name, platform.decrypt_database_connection_string(d.id) AS connection_string FROM platform.databases d WHERE d.type = 'redis' AND d.status = 'active'`);
			return rows;
		});
		expect(rows).toEqual([{name: 'Railway Redis', connection_string: REDIS_URL}]);
	});

	test('a connection string written afterwards is stored only encrypted', async () => {
		const other = 'redis://default:n3w-secret@redis.railway.internal:6379/1';
		// Rolled back: the Redis row stays as the other tests read it.
		const rows = await rolledBack(db.target, async (client) => {
			await client.query(`UPDATE platform.databases SET connection_string = $1 WHERE name = 'Railway Redis'`, [other]);
			return (await client.query(`SELECT connection_string, platform.decrypt_database_connection_string(id) AS url FROM platform.databases WHERE name = 'Railway Redis'`)).rows;
		});
		expect(rows).toEqual([{connection_string: null, url: other}]);
	});

	test('the old create route (naming password) now fails with the column named — the behaviour change this file is held back for', async () => {
		const error = await db
			.query(`INSERT INTO platform.databases (project_id, name, type, host, port, password) SELECT project_id, 'old route', 'redis', 'h', 6379, 'x' FROM platform.databases LIMIT 1`)
			.then(() => undefined, (e: unknown) => e);
		expect(error).toMatchObject({code: '42703', message: 'column "password" of relation "databases" does not exist'});
	});
});
