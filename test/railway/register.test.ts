import {afterAll, beforeAll, beforeEach, describe, expect, it} from 'vitest';
import pg from 'pg';
import {registerRailwayDatabases} from '../../source/railway/register.js';
import {UserError} from '../../source/errors.js';
import {freshDatabase, type TestDatabase} from '../helpers/db.js';
import {applySql, MIGRATIONS_006, resetPlaceholders} from '../helpers/apply-006.js';

// A quote, a backslash and SQL in the passwords: registration must store them verbatim, never run them.
const REDIS_PASSWORD = "r'e\\d'); DROP TABLE platform.projects; --";
const MONGO_PASSWORD = "m'o\\n";
const REDIS_URL = `redis://default:${REDIS_PASSWORD}@redis.railway.internal:6379/1`;
const MONGO_URL = `mongodb://mongo:${MONGO_PASSWORD}@mongodb.railway.internal:27017/lancio?authSource=admin&replicaSet=rs0`;

let db: TestDatabase;
let client: pg.Client;

beforeAll(async () => {
	db = await freshDatabase('register');
	await applySql(db.target, MIGRATIONS_006);
	client = new pg.Client(db.target.clientConfig());
	await client.connect();
});

afterAll(async () => {
	await client?.end();
	await db?.drop();
});

beforeEach(async () => {
	await resetPlaceholders(db.target);
});

async function query<T>(sql: string): Promise<T[]> {
	return (await client.query(sql)).rows as T[];
}

type Row = {name: string; status: string; host: string; port: number; database: string | null; username: string | null; ssl_enabled: boolean; connection_string: string | null; decrypted: string | null; config: Record<string, unknown>; metadata: Record<string, unknown>; updated_at: Date};

async function rows(): Promise<Row[]> {
	return query<Row>(
		`SELECT name, status, host, port, database, username, ssl_enabled, connection_string,
			platform.decrypt_database_connection_string(id) AS decrypted, config, metadata, updated_at
		FROM platform.databases ORDER BY name`,
	);
}

describe('registerRailwayDatabases against 006 on a real PostgreSQL', () => {
	it('registers both rows from URLs whose passwords hold a quote, a backslash and SQL, verbatim', async () => {
		await registerRailwayDatabases({client, redisUrl: REDIS_URL, mongoUrl: MONGO_URL});
		const stored = await rows();
		expect(stored.map((r) => [r.name, r.status, r.host, r.port, r.database, r.username, r.ssl_enabled, r.connection_string, r.decrypted])).toEqual([
			['Railway MongoDB', 'active', 'mongodb.railway.internal', 27017, 'lancio', 'mongo', false, MONGO_URL, MONGO_URL],
			['Railway Redis', 'active', 'redis.railway.internal', 6379, '1', 'default', false, REDIS_URL, REDIS_URL],
		]);
	});

	it('leaves platform.projects intact (the SQL in the password never runs)', async () => {
		await registerRailwayDatabases({client, redisUrl: REDIS_URL, mongoUrl: MONGO_URL});
		const [count] = await query<{n: number}>(`SELECT count(*)::int AS n FROM platform.projects WHERE ref = 'blackwhale-prod'`);
		expect(count?.n).toBe(1);
	});

	it('merges the URL settings into the placeholder config and drops the placeholder marker', async () => {
		await registerRailwayDatabases({client, redisUrl: REDIS_URL, mongoUrl: MONGO_URL});
		const stored = await rows();
		expect(stored.map((r) => [r.config, r.metadata['placeholder'], r.metadata['registered_by']])).toEqual([
			[{authSource: 'admin', replicaSet: 'rs0', minPoolSize: 2, maxPoolSize: 10, serverSelectionTimeoutMS: 5000, retryWrites: true, srv: false, tls: false}, undefined, 'runbook'],
			[{db: 1, tls: false, keyPrefix: 'studio:', connectTimeout: 10000, retryStrategy: 'exponential'}, undefined, 'runbook'],
		]);
	});

	it('passes the plan’s checks and returns only masked URLs', async () => {
		const result = await registerRailwayDatabases({client, redisUrl: REDIS_URL, mongoUrl: MONGO_URL});
		expect({
			ok: result.ok,
			checks: result.checks.map((c) => [c.id, c.status]),
			masked: result.rows.map((r) => [r.name, r.action, r.masked, r.encrypted, r.urlMatches]),
			leaks: JSON.stringify(result).includes("r'e\\d") || JSON.stringify(result).includes("m'o\\n"),
		}).toEqual({
			ok: true,
			checks: [
				['rows', 'pass'],
				['active', 'pass'],
				['encrypted', 'pass'],
				['decryptable', 'pass'],
				['no-placeholder', 'pass'],
			],
			masked: [
				['Railway MongoDB', 'updated', 'mongodb://mongo:****@mongodb.railway.internal:27017/lancio?authSource=admin&replicaSet=rs0', true, true],
				['Railway Redis', 'updated', 'redis://default:****@redis.railway.internal:6379/1', true, true],
			],
			leaks: false,
		});
	});

	it('is idempotent: a second run changes nothing and reports the rows unchanged', async () => {
		const first = await registerRailwayDatabases({client, redisUrl: REDIS_URL, mongoUrl: MONGO_URL});
		const before = await rows();
		const second = await registerRailwayDatabases({client, redisUrl: REDIS_URL, mongoUrl: MONGO_URL});
		const after = await rows();
		expect({
			actions: second.rows.map((r) => r.action),
			ok: second.ok,
			sameChecks: JSON.stringify(second.checks) === JSON.stringify(first.checks),
			sameRows: JSON.stringify(after) === JSON.stringify(before),
		}).toEqual({actions: ['unchanged', 'unchanged'], ok: true, sameChecks: true, sameRows: true});
	});

	it('re-registers a changed URL', async () => {
		await registerRailwayDatabases({client, redisUrl: REDIS_URL});
		const result = await registerRailwayDatabases({client, redisUrl: 'rediss://default:New-pw-1@redis.example.com:6380/0'});
		const redis = (await rows()).find((r) => r.name === 'Railway Redis');
		expect([result.rows.find((r) => r.name === 'Railway Redis')?.action, redis?.host, redis?.port, redis?.ssl_enabled, redis?.decrypted]).toEqual([
			'updated',
			'redis.example.com',
			6380,
			true,
			'rediss://default:New-pw-1@redis.example.com:6380/0',
		]);
	});

	it('leaves the MongoDB row inactive and reports it when no MongoDB URL is given', async () => {
		const result = await registerRailwayDatabases({client, redisUrl: REDIS_URL});
		const stored = await rows();
		expect({
			ok: result.ok,
			inactive: result.inactive,
			mongo: result.rows.find((r) => r.name === 'Railway MongoDB')?.action,
			statuses: stored.map((r) => [r.name, r.status, r.decrypted === null]),
			active: result.checks.find((c) => c.id === 'active'),
		}).toEqual({
			ok: true,
			inactive: ['Railway MongoDB'],
			mongo: 'left-inactive',
			statuses: [
				['Railway MongoDB', 'inactive', true],
				['Railway Redis', 'active', false],
			],
			active: {
				id: 'active',
				title: "Registered rows have status = 'active'",
				status: 'pass',
				expected: 'active: Railway Redis; left inactive: Railway MongoDB (no URL given)',
				actual: 'Railway Redis active; Railway MongoDB inactive',
			},
		});
	});

	it('runs inside the caller’s transaction when asked, so the caller’s ROLLBACK undoes it', async () => {
		await client.query('BEGIN');
		const result = await registerRailwayDatabases({client, transaction: 'caller', redisUrl: REDIS_URL, mongoUrl: MONGO_URL});
		await client.query('ROLLBACK');
		expect([result.ok, (await rows()).map((r) => r.status)]).toEqual([true, ['inactive', 'inactive']]);
	});

	it('fails the no-placeholder check when the given URL is still a placeholder', async () => {
		const result = await registerRailwayDatabases({client, redisUrl: 'redis://default:PLACEHOLDER_PASSWORD@redis.railway.internal:6379'});
		expect([result.ok, result.checks.find((c) => c.id === 'no-placeholder')]).toEqual([
			false,
			{
				id: 'no-placeholder',
				title: 'No registered row still holds a placeholder',
				status: 'fail',
				expected: 'no placeholder host, URL or text in the active rows',
				actual: "placeholder left in Railway Redis ('PLACEHOLDER' in the connection string)",
			},
		]);
	});

	it('refuses a project ref that does not exist, changing nothing', async () => {
		const error = await registerRailwayDatabases({client, projectRef: 'no-such-project', redisUrl: REDIS_URL}).catch((e: unknown) => e);
		const stored = await rows();
		expect([error instanceof UserError, (error as Error).message.startsWith('The Railway databases are registered for the project with ref `no-such-project` (--project-ref), but platform.projects has no such project.'), stored.map((r) => r.status)]).toEqual([
			true,
			true,
			['inactive', 'inactive'],
		]);
	});

	it('refuses when the placeholder rows are missing and says to apply 006_register first', async () => {
		await client.query('DELETE FROM platform.databases');
		await expect(registerRailwayDatabases({client, redisUrl: REDIS_URL})).rejects.toThrow(
			'The placeholder row `Railway Redis` (type redis) of project `blackwhale-prod` is missing from platform.databases. Apply 006_register_railway_databases.sql first (it inserts the inactive placeholders), then register again.',
		);
	});

	it('refuses a MongoDB URL given as REDIS_URL with the password masked', async () => {
		await expect(registerRailwayDatabases({client, redisUrl: MONGO_URL})).rejects.toThrow(
			'REDIS_URL (mongodb://mongo:****@mongodb.railway.internal:27017/lancio?authSource=admin&replicaSet=rs0) is a mongodb URL. Give the Railway Redis service’s redis:// or rediss:// URL.',
		);
	});

	it('re-registers a row whose stored secret no longer decrypts (encrypted with another key)', async () => {
		await registerRailwayDatabases({client, redisUrl: REDIS_URL});
		// Re-encrypt the Redis row with a session key the next check will not have.
		await client.query(`BEGIN; SET LOCAL app.database_encryption_key = 'other-key-123'; UPDATE platform.databases SET connection_string = 'redis://default:x@h:1' WHERE name = 'Railway Redis'; COMMIT;`);
		const result = await registerRailwayDatabases({client, redisUrl: REDIS_URL});
		expect([result.rows.find((r) => r.name === 'Railway Redis')?.action, result.ok]).toEqual(['updated', true]);
	});
});
