import {afterAll, beforeAll, beforeEach, describe, expect, it} from 'vitest';
import pg from 'pg';
import {checkRegisteredDatabases} from '../../source/health/check-registered.js';
import {registerRailwayDatabases} from '../../source/railway/register.js';
import {freePort} from '../../source/sandbox/server.js';
import {freshDatabase, type TestDatabase} from '../helpers/db.js';
import {applySql, MIGRATIONS_006, resetPlaceholders} from '../helpers/apply-006.js';
import {startRedis, type RedisServer} from '../helpers/redis-server.js';

const REDIS_PASSWORD = "Hc-'q\\uote-7";
let db: TestDatabase;
let client: pg.Client;
let redis: RedisServer;
let redisUrl: string;

type HealthRow = {name: string; health_check_status: string | null; health_check_error: string | null; checked: boolean};

beforeAll(async () => {
	[db, redis] = await Promise.all([freshDatabase('health'), startRedis({password: REDIS_PASSWORD})]);
	await applySql(db.target, MIGRATIONS_006);
	client = new pg.Client(db.target.clientConfig());
	await client.connect();
	redisUrl = `redis://default:${encodeURIComponent(REDIS_PASSWORD)}@127.0.0.1:${redis.port}/0`;
});

afterAll(async () => {
	await client?.end();
	await Promise.all([db?.drop(), redis?.stop()]);
});

beforeEach(async () => {
	await resetPlaceholders(db.target);
});

async function healthRows(): Promise<HealthRow[]> {
	return (
		await client.query<HealthRow>(
			'SELECT name, health_check_status, health_check_error, last_health_check_at IS NOT NULL AS checked FROM platform.databases ORDER BY name',
		)
	).rows;
}

describe('checkRegisteredDatabases against registered rows', () => {
	it('probes the registered URLs and records healthy Redis and unreachable MongoDB', async () => {
		const mongoPort = await freePort();
		await registerRailwayDatabases({client, redisUrl, mongoUrl: `mongodb://mongo:Mg-pw-31@127.0.0.1:${mongoPort}/lancio?directConnection=true`});
		const results = await checkRegisteredDatabases({target: client, projectRef: 'blackwhale-prod', timeoutMs: 500});
		expect(results.map((r) => [r.name, r.type, r.status, r.outcome, r.error ?? null, r.urlSource, r.recorded])).toEqual([
			['Railway MongoDB', 'mongodb', 'unhealthy', 'refused', `MongoDB at 127.0.0.1:${mongoPort}: connection refused (nothing listens on that host and port)`, 'registered', true],
			['Railway Redis', 'redis', 'healthy', 'healthy', null, 'registered', true],
		]);
	});

	it('writes the results with update_database_health, the error masked', async () => {
		const mongoPort = await freePort();
		await registerRailwayDatabases({client, redisUrl, mongoUrl: `mongodb://mongo:Mg-pw-31@127.0.0.1:${mongoPort}/lancio?directConnection=true`});
		await checkRegisteredDatabases({target: client, timeoutMs: 500});
		expect(await healthRows()).toEqual([
			{name: 'Railway MongoDB', health_check_status: 'unhealthy', health_check_error: `MongoDB at 127.0.0.1:${mongoPort}: connection refused (nothing listens on that host and port)`, checked: true},
			{name: 'Railway Redis', health_check_status: 'healthy', health_check_error: null, checked: true},
		]);
	});

	it('records a wrong Redis password as unhealthy without the password', async () => {
		await registerRailwayDatabases({client, redisUrl: `redis://default:Wrong-pw-5@127.0.0.1:${redis.port}/0`});
		const [result] = (await checkRegisteredDatabases({target: client, timeoutMs: 500})).filter((r) => r.type === 'redis');
		const stored = (await healthRows()).find((r) => r.name === 'Railway Redis');
		expect([result?.status, result?.outcome, stored?.health_check_error]).toEqual([
			'unhealthy',
			'auth-failed',
			`Redis at 127.0.0.1:${redis.port}: authentication failed: WRONGPASS invalid username-password pair or user is disabled.`,
		]);
	});

	it('skips the inactive MongoDB placeholder and leaves its health fields NULL', async () => {
		await registerRailwayDatabases({client, redisUrl});
		const results = await checkRegisteredDatabases({target: client, timeoutMs: 500});
		const stored = (await healthRows()).find((r) => r.name === 'Railway MongoDB');
		expect([results.find((r) => r.type === 'mongodb'), stored]).toEqual([
			{
				id: expect.any(String),
				name: 'Railway MongoDB',
				type: 'mongodb',
				status: 'skipped',
				outcome: 'skipped',
				latencyMs: null,
				error: "status is 'inactive': not registered, not probed",
				urlSource: null,
				recorded: false,
			},
			{name: 'Railway MongoDB', health_check_status: null, health_check_error: null, checked: false},
		]);
	});

	it('probes the URL the caller gives instead of the registered one', async () => {
		await registerRailwayDatabases({client, redisUrl: 'redis://default:x-pw-1@redis.railway.internal:6379'});
		const [result] = (await checkRegisteredDatabases({target: client, redisUrl, timeoutMs: 500})).filter((r) => r.type === 'redis');
		expect([result?.status, result?.urlSource]).toEqual(['healthy', 'given']);
	});
});
