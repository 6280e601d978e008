import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import http from 'node:http';
import {checkApplication} from '../../source/app-check/http.js';
import {UserError} from '../../source/errors.js';
import {freePort} from '../../source/sandbox/server.js';

const TOKEN = 'tok-Very-Secret-1234';
const ORG = '4b1c6f0e-0000-4000-8000-000000000001';

/** Per mode, the status each path answers; the body echoes the Authorization header to prove it is redacted. */
type Mode = 'ok' | 'one-403' | 'all-403' | 'two-500';
let mode: Mode = 'ok';
const seen: string[] = [];
let server: http.Server;
let base: string;

function statusFor(path: string): number {
	if (mode === 'all-403') return 403;
	if (mode === 'one-403' && path.startsWith('/api/platform/projects')) return 403;
	if (mode === 'two-500' && (path.startsWith('/api/platform/projects') || path.startsWith('/api/platform/organizations'))) return 500;
	return 200;
}

beforeAll(async () => {
	server = http.createServer((request, response) => {
		const url = request.url ?? '';
		seen.push(`${request.headers.authorization === `Bearer ${TOKEN}` ? 'auth' : 'no-auth'} ${url}`);
		const status = statusFor(url);
		response.writeHead(status, {'content-type': 'application/json'});
		response.end(JSON.stringify({path: url, echo: request.headers.authorization, padding: 'x'.repeat(500)}));
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const address = server.address();
	if (!address || typeof address !== 'object') throw new Error('no address');
	base = `http://127.0.0.1:${address.port}`;
});

afterAll(async () => {
	await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function run(m: Mode) {
	mode = m;
	seen.length = 0;
	return checkApplication({baseUrl: base, token: TOKEN, organizationId: ORG, bodyBytes: 60});
}

describe('checkApplication against a node:http server', () => {
	it('calls the four plan endpoints in order with the bearer token', async () => {
		await run('ok');
		expect(seen).toEqual([
			'auth /api/auth/validate',
			'auth /api/platform/organizations',
			'auth /api/platform/projects',
			`auth /api/platform/audit-logs?organizationId=${ORG}`,
		]);
	});

	it('passes when every endpoint answers 200, with no matrix row', async () => {
		const result = await run('ok');
		expect([result.ok, result.endpoints.map((e) => e.status), result.matrixRow, result.severity, result.rollback]).toEqual([
			true,
			[200, 200, 200, 200],
			null,
			null,
			false,
		]);
	});

	it('keeps the first bytes of each body with the token removed', async () => {
		const result = await run('ok');
		expect(result.endpoints[0]?.bodyStart).toBe('{"path":"/api/auth/validate","echo":"Bearer ****","padding":');
	});

	it('never carries the token anywhere in the result', async () => {
		const results = [await run('ok'), await run('all-403'), await run('one-403')];
		expect(JSON.stringify(results).includes('Very-Secret')).toBe(false);
	});

	it('classifies one 403 as the single-endpoint row (HIGH, fix forward)', async () => {
		const result = await run('one-403');
		expect([result.ok, result.matrixRow, result.severity, result.rollback, result.endpoints[2]?.outcome, result.summary]).toEqual([
			false,
			'single-endpoint',
			'HIGH',
			false,
			'forbidden',
			'/api/platform/projects failed (expected 200, got 403 Forbidden), the others returned 200: decision matrix row "Single endpoint broken" (HIGH, no rollback: fix forward and investigate).',
		]);
	});

	it('classifies four 403s as the all-403 row (CRITICAL, roll back)', async () => {
		const result = await run('all-403');
		expect([result.matrixRow, result.severity, result.rollback, result.summary]).toEqual([
			'all-403',
			'CRITICAL',
			true,
			'All 4 endpoints returned 403: decision matrix row "All queries return 403" (CRITICAL, immediate rollback).',
		]);
	});

	it('matches no matrix row when two endpoints fail with 500', async () => {
		const result = await run('two-500');
		expect([result.matrixRow, result.severity, result.endpoints.map((e) => e.outcome)]).toEqual([null, null, ['ok', 'http-error', 'http-error', 'ok']]);
	});

	it('reports an application that is not running as network errors', async () => {
		const port = await freePort();
		const result = await checkApplication({baseUrl: `http://127.0.0.1:${port}`, token: TOKEN, organizationId: ORG});
		expect([result.matrixRow, result.endpoints.map((e) => [e.status, e.outcome, e.error])]).toEqual([
			null,
			Array.from({length: 4}, () => [null, 'network-error', 'ECONNREFUSED']),
		]);
	});

	it('rejects a base URL that is not http(s) as a UserError', async () => {
		await expect(checkApplication({baseUrl: 'ftp://example.com', token: TOKEN, organizationId: ORG})).rejects.toBeInstanceOf(UserError);
	});
});
