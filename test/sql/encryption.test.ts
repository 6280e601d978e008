/**
 * The encryption trigger, decryption function, views and health function of
 * 006_add_platform_databases_table.sql, on rows of their own (Step 1 only).
 */
import {afterAll, beforeAll, describe, expect, test} from 'vitest';
import {freshDatabase, type TestDatabase} from '../helpers/db.js';
import {applyFiles, withSession} from '../helpers/sql.js';

let db: TestDatabase;
let projectA: string;
let projectB: string;

const URL_A = 'postgresql://svc:pa55-word-A@pg.internal:5432/app?sslmode=require';
const URL_B = 'redis://default:pa55-word-B@redis.internal:6379/1';
const KEY = 'a-real-key-from-the-environment-0123456789';

async function insert(name: string, url: string | null, project = projectA): Promise<string> {
	const rows = await db.query<{id: string}>(
		`INSERT INTO platform.databases (project_id, name, type, host, port, connection_string) VALUES ($1, $2, 'postgresql', 'pg.internal', 5432, $3) RETURNING id`,
		[project, name, url],
	);
	return rows[0]!.id;
}

beforeAll(async () => {
	db = await freshDatabase('sql_crypto');
	await applyFiles(db.target, ['006_add_platform_databases_table.sql']);
	const rows = await db.query<{id: string}>(`SELECT id FROM platform.projects ORDER BY ref LIMIT 2`);
	projectA = rows[0]!.id;
	projectB = rows[1]!.id;
});

afterAll(async () => {
	await db.drop();
});

describe('without app.database_encryption_key (the plan’s derived key)', () => {
	test('decrypts to what was written, with key_version 1', async () => {
		const id = await insert('derived round trip', URL_A);
		const rows = await db.query(`SELECT key_version, platform.decrypt_database_connection_string(id) AS url FROM platform.databases WHERE id = $1`, [id]);
		expect(rows).toEqual([{key_version: 1, url: URL_A}]);
	});

	test('keeps connection_string as written (the application reads it); the ciphertext does not contain the URL or its password', async () => {
		const id = await insert('plaintext kept for the application', URL_A);
		const rows = await db.query(
			`SELECT connection_string, position(convert_to($2, 'UTF8') IN connection_string_encrypted) AS url_at, position(convert_to('pa55-word-A', 'UTF8') IN connection_string_encrypted) AS password_at FROM platform.databases WHERE id = $1`,
			[id, URL_A],
		);
		expect(rows).toEqual([{connection_string: URL_A, url_at: 0, password_at: 0}]);
	});

	test('accepts the application’s INSERT naming password, and RETURNING * gives its connection_string back', async () => {
		const rows = await db.query<Record<string, unknown>>(
			`INSERT INTO platform.databases (project_id, name, type, connection_string, host, port, database, username, password, ssl_enabled, metadata, status)
			 VALUES ($1, 'app create route', 'redis', $2, 'redis.internal', 6379, '1', 'default', 'pa55-word-B', false, '{}'::jsonb, 'active') RETURNING *`,
			[projectA, URL_B],
		);
		expect(rows.map((r) => [r['connection_string'], r['password'], r['key_version'], Buffer.isBuffer(r['connection_string_encrypted'])])).toEqual([[URL_B, 'pa55-word-B', 1, true]]);
	});

	test('setting connection_string to NULL clears the encrypted copy too', async () => {
		const id = await insert('cleared', URL_A);
		await db.query(`UPDATE platform.databases SET connection_string = NULL WHERE id = $1`, [id]);
		const rows = await db.query(`SELECT connection_string, connection_string_encrypted, key_version FROM platform.databases WHERE id = $1`, [id]);
		expect(rows).toEqual([{connection_string: null, connection_string_encrypted: null, key_version: null}]);
	});

	test('uses the plan’s key: pgp_sym_decrypt with sha256(project_id || salt) gives the URL', async () => {
		const id = await insert('plan key', URL_A);
		const rows = await db.query(
			`SELECT public.pgp_sym_decrypt(connection_string_encrypted, encode(sha256(convert_to(project_id::text || 'database_encryption_salt_v1', 'UTF8')), 'hex')) AS url FROM platform.databases WHERE id = $1`,
			[id],
		);
		expect(rows).toEqual([{url: URL_A}]);
	});

	test('re-encrypts for the new project when project_id changes', async () => {
		const id = await insert('moved', URL_A);
		await db.query(`UPDATE platform.databases SET project_id = $2 WHERE id = $1`, [id, projectB]);
		const rows = await db.query(
			`SELECT platform.decrypt_database_connection_string(id) AS url,
				public.pgp_sym_decrypt(connection_string_encrypted, encode(sha256(convert_to($2::text || 'database_encryption_salt_v1', 'UTF8')), 'hex')) AS with_new_key
			FROM platform.databases WHERE id = $1`,
			[id, projectB],
		);
		expect(rows).toEqual([{url: URL_A, with_new_key: URL_A}]);
	});

	test('writing a new connection string replaces the ciphertext', async () => {
		const id = await insert('rewritten', URL_A);
		await db.query(`UPDATE platform.databases SET connection_string = $2 WHERE id = $1`, [id, URL_B]);
		const rows = await db.query(`SELECT connection_string, platform.decrypt_database_connection_string(id) AS url FROM platform.databases WHERE id = $1`, [id]);
		expect(rows).toEqual([{connection_string: URL_B, url: URL_B}]);
	});

	test('an update that does not touch the connection string keeps the ciphertext', async () => {
		const id = await insert('untouched', URL_A);
		const [before] = await db.query(`SELECT connection_string_encrypted FROM platform.databases WHERE id = $1`, [id]);
		await db.query(`UPDATE platform.databases SET port = 6543 WHERE id = $1`, [id]);
		const [after] = await db.query(`SELECT connection_string_encrypted FROM platform.databases WHERE id = $1`, [id]);
		expect(after).toEqual(before);
	});

	test('a row without a connection string decrypts to NULL', async () => {
		const id = await insert('no url', null);
		const rows = await db.query(`SELECT platform.decrypt_database_connection_string($1) AS url`, [id]);
		expect(rows).toEqual([{url: null}]);
	});

	test('an unknown id decrypts to NULL', async () => {
		const rows = await db.query(`SELECT platform.decrypt_database_connection_string('00000000-0000-0000-0000-000000000000') AS url`);
		expect(rows).toEqual([{url: null}]);
	});

	test('a blank connection string is refused with check_violation', async () => {
		await expect(insert('blank', '   ')).rejects.toMatchObject({code: '23514'});
	});
});

describe('with app.database_encryption_key set', () => {
	test('decrypts to what was written, with key_version 2, while the key is set', async () => {
		const result = await withSession(db.target, async (client) => {
			await client.query(`SELECT set_config('app.database_encryption_key', $1, false)`, [KEY]);
			const {rows} = await client.query<{id: string}>(
				`INSERT INTO platform.databases (project_id, name, type, host, port, connection_string) VALUES ($1, 'keyed round trip', 'redis', 'redis.internal', 6379, $2) RETURNING id`,
				[projectA, URL_B],
			);
			const decrypted = await client.query(`SELECT key_version, platform.decrypt_database_connection_string(id) AS url FROM platform.databases WHERE id = $1`, [rows[0]!.id]);
			return decrypted.rows;
		});
		expect(result).toEqual([{key_version: 2, url: URL_B}]);
	});

	test('is encrypted with that key, not the derived one', async () => {
		const id = await withSession(db.target, async (client) => {
			await client.query(`SELECT set_config('app.database_encryption_key', $1, false)`, [KEY]);
			const {rows} = await client.query<{id: string}>(
				`INSERT INTO platform.databases (project_id, name, type, host, port, connection_string) VALUES ($1, 'keyed with key', 'redis', 'redis.internal', 6379, $2) RETURNING id`,
				[projectA, URL_B],
			);
			return rows[0]!.id;
		});
		const rows = await db.query(`SELECT public.pgp_sym_decrypt(connection_string_encrypted, $2) AS url FROM platform.databases WHERE id = $1`, [id, KEY]);
		expect(rows).toEqual([{url: URL_B}]);
	});

	test('decryption without the key set fails with a message naming the setting', async () => {
		const id = await withSession(db.target, async (client) => {
			await client.query(`SELECT set_config('app.database_encryption_key', $1, false)`, [KEY]);
			const {rows} = await client.query<{id: string}>(
				`INSERT INTO platform.databases (project_id, name, type, host, port, connection_string) VALUES ($1, 'keyed then unset', 'redis', 'redis.internal', 6379, $2) RETURNING id`,
				[projectA, URL_B],
			);
			return rows[0]!.id;
		});
		await expect(db.query(`SELECT platform.decrypt_database_connection_string($1)`, [id])).rejects.toThrow(/app\.database_encryption_key, which is not set/);
	});
});

describe('access', () => {
	test('databases_safe exposes no secret column and masks the connection as type://host:port', async () => {
		const id = await insert('safe view', URL_A);
		const columns = await db.query<{column_name: string}>(`SELECT column_name FROM information_schema.columns WHERE table_schema = 'platform' AND table_name = 'databases_safe' ORDER BY ordinal_position`);
		const rows = await db.query(`SELECT connection_string_masked FROM platform.databases_safe WHERE id = $1`, [id]);
		expect({columns: columns.map((c) => c.column_name), rows}).toEqual({
			columns: ['id', 'project_id', 'name', 'type', 'host', 'port', 'database', 'ssl_enabled', 'config', 'metadata', 'status', 'health_check_status', 'last_health_check_at', 'key_version', 'created_at', 'updated_at', 'connection_string_masked'],
			rows: [{connection_string_masked: 'postgresql://pg.internal:5432'}],
		});
	});

	test('databases_with_connection_strings gives the decrypted string to the owner', async () => {
		const id = await insert('full view', URL_A);
		const rows = await db.query(`SELECT connection_string_decrypted FROM platform.databases_with_connection_strings WHERE id = $1`, [id]);
		expect(rows).toEqual([{connection_string_decrypted: URL_A}]);
	});

	test('a role other than the owner (runbook_app) cannot execute decrypt_database_connection_string', async () => {
		const id = await insert('not for the app', URL_A);
		const error = await withSession(db.target, async (client) => {
			await client.query('SET ROLE runbook_app');
			return client.query(`SELECT platform.decrypt_database_connection_string($1)`, [id]).then(() => undefined, (e: unknown) => e);
		});
		expect(error).toMatchObject({code: '42501', message: 'permission denied for function decrypt_database_connection_string'});
	});

	test('PUBLIC holds no privilege on the decrypt function or the views', async () => {
		const rows = await db.query(`SELECT
			has_function_privilege('public', 'platform.decrypt_database_connection_string(uuid)', 'EXECUTE') AS decrypt,
			EXISTS (SELECT 1 FROM pg_class c, aclexplode(c.relacl) a WHERE c.oid IN ('platform.databases_safe'::regclass, 'platform.databases_with_connection_strings'::regclass, 'platform.databases'::regclass) AND a.grantee = 0) AS relations`);
		expect(rows).toEqual([{decrypt: false, relations: false}]);
	});

	test('decrypt is SECURITY DEFINER with search_path pinned to pg_catalog, pg_temp', async () => {
		const rows = await db.query(`SELECT prosecdef, proconfig FROM pg_proc WHERE oid = 'platform.decrypt_database_connection_string(uuid)'::regprocedure`);
		expect(rows).toEqual([{prosecdef: true, proconfig: ['search_path=pg_catalog, pg_temp']}]);
	});
});

describe('update_database_health', () => {
	test('records a real check and returns true', async () => {
		const id = await insert('health', null);
		const [result] = await db.query(`SELECT platform.update_database_health($1, 'unhealthy', 'connection refused') AS found`, [id]);
		const rows = await db.query(`SELECT health_check_status, health_check_error, last_health_check_at IS NOT NULL AS checked FROM platform.databases WHERE id = $1`, [id]);
		expect({result, rows}).toEqual({result: {found: true}, rows: [{health_check_status: 'unhealthy', health_check_error: 'connection refused', checked: true}]});
	});

	test('returns false for an unknown id', async () => {
		const rows = await db.query(`SELECT platform.update_database_health('00000000-0000-0000-0000-000000000000', 'healthy') AS found`);
		expect(rows).toEqual([{found: false}]);
	});
});
