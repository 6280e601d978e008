import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {execFileSync} from 'node:child_process';
import {mkdtempSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {encodeCommand, parseReply, pingRedis, redisCommands} from '../../source/health/redis.js';
import {parseServiceUrl} from '../../source/railway/parse-url.js';
import {freePort} from '../../source/sandbox/server.js';
import {startRedis, type RedisServer} from '../helpers/redis-server.js';
import {startSilentServer, type SilentServer} from '../helpers/silent-server.js';

const PASSWORD = "Rd-'pw\\x9";
const encoded = encodeURIComponent(PASSWORD);
let redis: RedisServer;
let tlsRedis: RedisServer;
let silent: SilentServer;
let certDir: string;
let ca: string;

beforeAll(async () => {
	// A self-signed certificate for 127.0.0.1 from the real openssl, for the TLS server.
	certDir = mkdtempSync(path.join(tmpdir(), 'runbook-redis-tls-'));
	const certFile = path.join(certDir, 'cert.pem');
	const keyFile = path.join(certDir, 'key.pem');
	execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], {stdio: 'ignore'});
	ca = readFileSync(certFile, 'utf8');
	[redis, tlsRedis, silent] = await Promise.all([
		startRedis({password: PASSWORD, users: [{name: 'alice', password: 'Alice-pw-42'}]}),
		startRedis({password: PASSWORD, tls: {certFile, keyFile}}),
		startSilentServer(),
	]);
});

afterAll(async () => {
	await Promise.all([redis?.stop(), tlsRedis?.stop(), silent?.close()]);
	if (certDir) rmSync(certDir, {recursive: true, force: true});
});

describe('pingRedis against a real redis-server', () => {
	it('is healthy with the default user’s password and a DB number', async () => {
		const result = await pingRedis(`redis://default:${encoded}@127.0.0.1:${redis.port}/3`);
		expect([result.ok, result.outcome, result.error]).toEqual([true, 'healthy', undefined]);
	});

	it('is healthy as an ACL user (AUTH user pass)', async () => {
		const result = await pingRedis(`redis://alice:Alice-pw-42@127.0.0.1:${redis.port}`);
		expect([result.ok, result.outcome]).toEqual([true, 'healthy']);
	});

	it('reports a wrong password as auth-failed with a masked error', async () => {
		const result = await pingRedis(`redis://default:Wrong-pw-77@127.0.0.1:${redis.port}/0`);
		expect([result.ok, result.outcome, result.error]).toEqual([
			false,
			'auth-failed',
			`Redis at 127.0.0.1:${redis.port}: authentication failed: WRONGPASS invalid username-password pair or user is disabled.`,
		]);
	});

	it('reports a missing password as auth-failed (NOAUTH)', async () => {
		const result = await pingRedis(`redis://127.0.0.1:${redis.port}`);
		expect([result.outcome, result.error]).toEqual(['auth-failed', `Redis at 127.0.0.1:${redis.port}: authentication failed: NOAUTH Authentication required.`]);
	});

	it('reports a DB number the server does not have as an error of SELECT', async () => {
		const result = await pingRedis(`redis://default:${encoded}@127.0.0.1:${redis.port}/99`);
		expect([result.outcome, result.error]).toEqual(['error', `Redis at 127.0.0.1:${redis.port}: SELECT failed: ERR DB index is out of range`]);
	});

	it('is healthy over TLS (rediss://) when the server certificate is trusted', async () => {
		const result = await pingRedis(`rediss://default:${encoded}@127.0.0.1:${tlsRedis.port}/0`, {ca});
		expect([result.ok, result.outcome]).toEqual([true, 'healthy']);
	});

	it('reports an untrusted (self-signed) certificate as tls-error', async () => {
		const result = await pingRedis(`rediss://default:${encoded}@127.0.0.1:${tlsRedis.port}/0`);
		expect([result.ok, result.outcome, result.error]).toEqual([false, 'tls-error', `Redis at 127.0.0.1:${tlsRedis.port}: TLS handshake failed (DEPTH_ZERO_SELF_SIGNED_CERT)`]);
	});

	it('reports TLS spoken to a plain server as tls-error', async () => {
		const result = await pingRedis(`rediss://default:${encoded}@127.0.0.1:${redis.port}`, {rejectUnauthorized: false, timeoutMs: 500});
		expect([result.ok, result.outcome, result.error]).toEqual([
			false,
			'tls-error',
			`Redis at 127.0.0.1:${redis.port}: the TLS handshake did not complete within 500 ms; if the server does not speak TLS, use a redis:// URL`,
		]);
	});

	it('reports a stopped server as refused', async () => {
		const other = await startRedis({password: 'Other-pw-1'});
		await other.stop();
		const result = await pingRedis(`redis://default:Other-pw-1@127.0.0.1:${other.port}`);
		expect([result.ok, result.outcome, result.error]).toEqual([
			false,
			'refused',
			`Redis at 127.0.0.1:${other.port}: connection refused (nothing listens on that host and port)`,
		]);
	});

	it('reports a server that never answers as timeout', async () => {
		const result = await pingRedis(`redis://default:Silent-pw-1@127.0.0.1:${silent.port}`, {timeoutMs: 300});
		expect([result.ok, result.outcome, result.error]).toEqual([false, 'timeout', `Redis at 127.0.0.1:${silent.port}: no reply within 300 ms`]);
	});

	it('returns a malformed URL as an error outcome with the password masked', async () => {
		const result = await pingRedis(`redis://default:Masked-pw-9@127.0.0.1:${await freePort()}/x`);
		expect([result.outcome, result.error?.includes('Masked-pw-9'), result.error?.startsWith('The Redis URL (redis://default:****@')]).toEqual(['error', false, true]);
	});
});

describe('RESP', () => {
	it('encodes a command as an array of bulk strings', () => {
		expect(encodeCommand(['AUTH', 'pässword']).toString('utf8')).toBe('*2\r\n$4\r\nAUTH\r\n$9\r\npässword\r\n');
	});

	it('waits for a bulk string split across reads', () => {
		expect(parseReply(Buffer.from('$5\r\nhel'))).toBeUndefined();
		expect(parseReply(Buffer.from('$5\r\nhello\r\n+OK\r\n'))).toEqual({reply: {kind: 'bulk', text: 'hello'}, next: 11});
	});

	it('sends AUTH pass for the default user, AUTH user pass for others, SELECT only for a non-zero DB', () => {
		expect(redisCommands(parseServiceUrl('redis://default:p1x@h:1/0'))).toEqual([['AUTH', 'p1x'], ['PING']]);
		expect(redisCommands(parseServiceUrl('redis://bob:p2x@h:1/4'))).toEqual([['AUTH', 'bob', 'p2x'], ['SELECT', '4'], ['PING']]);
	});
});
