import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {chmod, mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {readRailwayVariables} from '../../source/railway/variables.js';

const NOT_INSTALLED = '/nonexistent-runbook-test/railway';

let dir: string;
let linked: string;
let unlinked: string;

beforeAll(async () => {
	dir = await mkdtemp(path.join(tmpdir(), 'runbook-railway-'));
	// Stand-ins for the Railway CLI, which cannot be installed here: they print what `railway status` and `railway variables --json` print.
	linked = path.join(dir, 'railway-linked');
	await writeFile(
		linked,
		`#!/bin/sh\nif [ "$1" = status ]; then echo "Project: lancio"; exit 0; fi\nif [ "$1" = variables ] && [ "$2" = --json ]; then printf '%s\\n' '{' '"REDIS_URL": "redis://default:RailwayPw77@redis.railway.internal:6379",' '"REDIS_PUBLIC_URL": "redis://default:RailwayPw77@roundhouse.proxy.rlwy.net:31234",' '"MONGO_URL": "mongodb://mongo:MongoPw88@mongodb.railway.internal:27017"' '}'; exit 0; fi\nexit 3\n`,
	);
	unlinked = path.join(dir, 'railway-unlinked');
	await writeFile(unlinked, '#!/bin/sh\necho "No linked project found. Run railway link to connect to a project" >&2\nexit 1\n');
	await chmod(linked, 0o755);
	await chmod(unlinked, 0o755);
});

afterAll(async () => {
	await rm(dir, {recursive: true, force: true});
});

describe('readRailwayVariables', () => {
	it('reports a missing Railway CLI as "not installed, using the environment"', async () => {
		const result = await readRailwayVariables({env: {REDIS_URL: 'redis://default:EnvPw123@localhost:6379'}, railwayPath: NOT_INSTALLED});
		expect(result.cli).toEqual({state: 'not-installed', message: 'Railway CLI not installed, using the environment'});
	});

	it('reads the variables from the environment with masked values', async () => {
		const result = await readRailwayVariables({
			env: {
				REDIS_URL: 'redis://default:EnvPw123@localhost:6379',
				REDIS_PUBLIC_URL: 'redis://default:EnvPw123@public.example.com:31000',
				MONGODB_URL: 'mongodb://mongo:MongoEnv9@localhost:27017/lancio',
			},
			railwayPath: NOT_INSTALLED,
		});
		expect([result.ok, result.failures, result.variables]).toEqual([
			true,
			[],
			[
				{name: 'REDIS_URL', present: true, source: 'env', masked: 'redis://default:****@localhost:6379', requirement: 'required'},
				{name: 'REDIS_PUBLIC_URL', present: true, source: 'env', masked: 'redis://default:****@public.example.com:31000', requirement: 'expected'},
				{name: 'MONGODB_URL', present: true, source: 'env', masked: 'mongodb://mongo:****@localhost:27017/lancio', requirement: 'optional'},
				{name: 'MONGO_URL', present: false, source: null, masked: null, requirement: 'optional'},
			],
		]);
	});

	it('fails on a missing REDIS_URL and says what to set', async () => {
		const result = await readRailwayVariables({env: {}, railwayPath: NOT_INSTALLED});
		expect([result.ok, result.failures]).toEqual([
			false,
			[
				"REDIS_URL is not set in the environment. Set it to the Railway Redis service’s URL (Railway: the Redis service → Variables → REDIS_URL), for example `export REDIS_URL='redis://default:<password>@<host>:<port>'`, and run the check again.",
			],
		]);
	});

	it('treats a missing MongoDB URL as optional, with a note', async () => {
		const result = await readRailwayVariables({env: {REDIS_URL: 'redis://localhost:6379'}, railwayPath: NOT_INSTALLED});
		expect([result.ok, result.mongo, result.notes.filter((n) => n.startsWith('MongoDB is not configured'))]).toEqual([
			true,
			undefined,
			['MongoDB is not configured (neither MONGODB_URL nor MONGO_URL is set): optional, the Railway MongoDB row stays inactive.'],
		]);
	});

	it('fails on a REDIS_URL that is not a redis URL, without showing its password', async () => {
		const result = await readRailwayVariables({env: {REDIS_URL: 'postgres://u:PgSecret55@h:5432/db'}, railwayPath: NOT_INSTALLED});
		expect([result.ok, result.failures.length, result.failures.join(' ').includes('PgSecret55'), result.variables[0]?.masked]).toEqual([
			false,
			1,
			false,
			'postgres://u:****@h:5432/db',
		]);
	});

	it('reports an installed but unlinked CLI and falls back to the environment', async () => {
		const result = await readRailwayVariables({env: {REDIS_URL: 'redis://localhost:6379'}, railwayPath: unlinked});
		expect([result.cli.state, result.variables[0]?.source]).toEqual(['not-linked', 'env']);
	});

	it('reads a linked project’s variables, accepting MONGO_URL and probing Redis through the public URL', async () => {
		const result = await readRailwayVariables({env: {REDIS_URL: 'redis://localhost:6379'}, railwayPath: linked});
		expect({
			cli: result.cli.state,
			sources: result.variables.map((v) => [v.name, v.source]),
			mongo: result.mongo?.masked,
			probe: result.redisProbe?.masked,
			secretsHavePassword: result.secrets.includes('RailwayPw77'),
		}).toEqual({
			cli: 'linked',
			sources: [
				['REDIS_URL', 'railway'],
				['REDIS_PUBLIC_URL', 'railway'],
				['MONGODB_URL', null],
				['MONGO_URL', 'railway'],
			],
			mongo: 'mongodb://mongo:****@mongodb.railway.internal:27017',
			probe: 'redis://default:****@roundhouse.proxy.rlwy.net:31234',
			secretsHavePassword: true,
		});
	});
});
