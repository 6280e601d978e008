import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {pingMongo} from '../../source/health/mongo.js';
import {freePort} from '../../source/sandbox/server.js';
import {startSilentServer, type SilentServer} from '../helpers/silent-server.js';

let silent: SilentServer;

beforeAll(async () => {
	silent = await startSilentServer();
});

afterAll(async () => {
	await silent?.close();
});

// No MongoDB server can be installed here: these drive the real driver against a closed port and a silent one.
describe('pingMongo with the real driver', () => {
	it('reports a port nobody listens on as refused, password masked', async () => {
		const port = await freePort();
		const result = await pingMongo(`mongodb://mongo:Mongo-pw-55@127.0.0.1:${port}/lancio?directConnection=true`, {timeoutMs: 1500});
		expect([result.ok, result.outcome, result.error]).toEqual([
			false,
			'refused',
			`MongoDB at 127.0.0.1:${port}: connection refused (nothing listens on that host and port)`,
		]);
	});

	it('reports a server that accepts and never answers as timeout', async () => {
		const result = await pingMongo(`mongodb://mongo:Mongo-pw-55@127.0.0.1:${silent.port}/lancio?directConnection=true`, {timeoutMs: 500});
		expect([result.ok, result.outcome, result.error]).toEqual([false, 'timeout', `MongoDB at 127.0.0.1:${silent.port}: no answer within the timeout`]);
	});

	it('returns a redis URL given as MongoDB as an error outcome', async () => {
		const result = await pingMongo('redis://127.0.0.1:6390');
		expect([result.outcome, result.error]).toEqual(['error', 'MongoDB at 127.0.0.1:6390: not a mongodb:// or mongodb+srv:// URL']);
	});
});
