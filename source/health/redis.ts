/**
 * Redis health probe: a raw TCP (or TLS, for rediss://) socket speaking RESP,
 * so no Redis client library is needed. AUTH as the URL says (`AUTH pass`, or
 * `AUTH user pass` for a user other than `default`), SELECT the DB when it is
 * not 0, then PING → +PONG. One timeout bounds the whole exchange. Errors are
 * classified (refused, timeout, auth failed, TLS, DNS) and masked.
 */
import net from 'node:net';
import tls from 'node:tls';
import {redact} from '../db/target.js';
import {errorMessage} from '../errors.js';
import {parseServiceUrl, type ServiceUrl} from '../railway/parse-url.js';
import type {ProbeOutcome, ProbeResult} from './probe-result.js';

export type RedisProbeOptions = {
	/** Bounds connect + AUTH + SELECT + PING (default 3000 ms). */
	readonly timeoutMs?: number;
	/** For rediss://: verify the server certificate (default true). */
	readonly rejectUnauthorized?: boolean;
	/** For rediss://: extra CA certificates (PEM). */
	readonly ca?: string | readonly string[];
};

type Reply =
	| {readonly kind: 'simple'; readonly text: string}
	| {readonly kind: 'error'; readonly text: string}
	| {readonly kind: 'integer'; readonly value: number}
	| {readonly kind: 'bulk'; readonly text: string | null}
	| {readonly kind: 'array'; readonly items: readonly Reply[] | null};

/** Parses one RESP2 reply at `offset`; undefined when the buffer does not hold all of it yet. */
export function parseReply(buffer: Buffer, offset = 0): {reply: Reply; next: number} | undefined {
	const lineEnd = buffer.indexOf('\r\n', offset);
	if (lineEnd < 0) return undefined;
	const type = String.fromCharCode(buffer[offset]!);
	const line = buffer.toString('utf8', offset + 1, lineEnd);
	const after = lineEnd + 2;
	switch (type) {
		case '+':
			return {reply: {kind: 'simple', text: line}, next: after};
		case '-':
			return {reply: {kind: 'error', text: line}, next: after};
		case ':':
			return {reply: {kind: 'integer', value: Number(line)}, next: after};
		case '$': {
			const length = Number(line);
			if (length < 0) return {reply: {kind: 'bulk', text: null}, next: after};
			if (buffer.length < after + length + 2) return undefined;
			return {reply: {kind: 'bulk', text: buffer.toString('utf8', after, after + length)}, next: after + length + 2};
		}
		case '*': {
			const count = Number(line);
			if (count < 0) return {reply: {kind: 'array', items: null}, next: after};
			const items: Reply[] = [];
			let next = after;
			for (let i = 0; i < count; i += 1) {
				const item = parseReply(buffer, next);
				if (!item) return undefined;
				items.push(item.reply);
				next = item.next;
			}
			return {reply: {kind: 'array', items}, next};
		}
		default:
			throw new ProbeFailure('protocol-error', `the server does not speak RESP (first byte ${JSON.stringify(type)}); is this a Redis port?`);
	}
}

/** Encodes a command as a RESP array of bulk strings. */
export function encodeCommand(args: readonly string[]): Buffer {
	const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
	for (const arg of args) {
		const bytes = Buffer.from(arg, 'utf8');
		parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n'));
	}
	return Buffer.concat(parts);
}

class ProbeFailure extends Error {
	constructor(
		readonly outcome: ProbeOutcome,
		message: string,
	) {
		super(message);
	}
}

const TLS_CODE = /^(ERR_TLS|ERR_SSL|CERT_|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO_|ERR_OSSL)/;

function socketFailure(error: unknown, secure: boolean, phase: 'connect' | 'reply'): ProbeFailure {
	const code = (error as {code?: string}).code ?? '';
	const message = errorMessage(error);
	if (code === 'ECONNREFUSED') return new ProbeFailure('refused', 'connection refused (nothing listens on that host and port)');
	if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new ProbeFailure('dns-error', `the host name does not resolve (${code})`);
	if (code === 'ETIMEDOUT') return new ProbeFailure('timeout', 'the connection timed out');
	if (TLS_CODE.test(code) || (secure && phase === 'connect' && /ssl|tls|certificate|handshake/i.test(message))) {
		return new ProbeFailure('tls-error', `TLS handshake failed (${code || message})`);
	}
	if (code === 'ECONNRESET' || code === 'EPIPE') {
		return new ProbeFailure(
			'error',
			secure ? `the server reset the connection (${code})` : `the server reset the connection (${code}); if it requires TLS, use a rediss:// URL`,
		);
	}
	return new ProbeFailure('error', message);
}

function replyFailure(command: string, reply: Reply): ProbeFailure {
	if (reply.kind !== 'error') {
		return new ProbeFailure('protocol-error', `unexpected reply to ${command}: ${JSON.stringify(reply)}`);
	}
	const text = reply.text;
	if (/^(WRONGPASS|NOAUTH|NOPERM)\b/.test(text) || /invalid (username-)?password/i.test(text)) {
		return new ProbeFailure('auth-failed', `authentication failed: ${text}`);
	}
	if (command === 'AUTH' && /without any password configured/i.test(text)) {
		return new ProbeFailure('auth-failed', 'authentication failed: the URL has a password but the server has none configured');
	}
	if (command === 'AUTH' && /wrong number of arguments/i.test(text)) {
		return new ProbeFailure('auth-failed', 'authentication failed: the server does not accept a user name (Redis before 6); remove the user from the URL');
	}
	return new ProbeFailure('error', `${command} failed: ${text}`);
}

/** The command sequence the probe sends, from the URL (exported for tests and evidence). */
export function redisCommands(url: ServiceUrl): string[][] {
	const commands: string[][] = [];
	if (url.password !== undefined) {
		const user = url.username;
		commands.push(user === undefined || user === 'default' ? ['AUTH', url.password] : ['AUTH', user, url.password]);
	} else if (url.username !== undefined && url.username !== 'default') {
		// A user with no password: only meaningful for `nopass` ACL users.
		commands.push(['AUTH', url.username, '']);
	}
	if (url.database !== undefined && url.database !== '0') commands.push(['SELECT', url.database]);
	commands.push(['PING']);
	return commands;
}

/** PING a Redis server; never throws (a malformed URL is an `error` outcome). */
export async function pingRedis(input: string | ServiceUrl, options: RedisProbeOptions = {}): Promise<ProbeResult> {
	const started = performance.now();
	const latency = () => Math.round((performance.now() - started) * 10) / 10;
	let url: ServiceUrl;
	try {
		url = typeof input === 'string' ? parseServiceUrl(input, 'The Redis URL') : input;
	} catch (error) {
		return {ok: false, outcome: 'error', latencyMs: latency(), error: errorMessage(error)};
	}
	const where = `Redis at ${url.host.includes(':') ? `[${url.host}]` : url.host}:${url.port}`;
	if (url.type !== 'redis') {
		return {ok: false, outcome: 'error', latencyMs: latency(), error: `${where}: not a redis:// or rediss:// URL`};
	}
	const timeoutMs = options.timeoutMs ?? 3000;
	try {
		await exchange(url, timeoutMs, options);
		return {ok: true, outcome: 'healthy', latencyMs: latency()};
	} catch (error) {
		const failure = error instanceof ProbeFailure ? error : new ProbeFailure('error', errorMessage(error));
		return {ok: false, outcome: failure.outcome, latencyMs: latency(), error: redact(`${where}: ${failure.message}`, url.secrets)};
	}
}

function exchange(url: ServiceUrl, timeoutMs: number, options: RedisProbeOptions): Promise<void> {
	return new Promise<void>((resolve, reject) => {
		let buffer: Buffer = Buffer.alloc(0);
		let connected = false;
		let tcpConnected = false;
		let settled = false;
		let waiting: ((reply: Reply) => void) | undefined;
		const socket: net.Socket = url.tls
			? tls.connect({
					host: url.host,
					port: url.port,
					servername: net.isIP(url.host) ? undefined : url.host,
					rejectUnauthorized: options.rejectUnauthorized ?? true,
					...(options.ca === undefined ? {} : {ca: typeof options.ca === 'string' ? options.ca : [...options.ca]}),
				})
			: net.connect({host: url.host, port: url.port});
		const finish = (error?: ProbeFailure) => {
			if (settled) return;
			settled = true;
			clearTimeout(timer);
			socket.removeAllListeners('data');
			socket.on('error', () => undefined);
			socket.destroy();
			if (error) reject(error);
			else resolve();
		};
		const timer = setTimeout(() => {
			if (url.tls && tcpConnected && !connected) {
				return finish(
					new ProbeFailure('tls-error', `the TLS handshake did not complete within ${timeoutMs} ms; if the server does not speak TLS, use a redis:// URL`),
				);
			}
			finish(new ProbeFailure('timeout', connected ? `no reply within ${timeoutMs} ms` : `could not connect within ${timeoutMs} ms`));
		}, timeoutMs);
		socket.once('connect', () => {
			tcpConnected = true;
		});
		socket.on('error', (error) => finish(socketFailure(error, url.tls, connected ? 'reply' : 'connect')));
		socket.on('close', () => finish(new ProbeFailure('error', connected ? 'the server closed the connection before replying' : 'the connection closed before it was established')));
		socket.on('data', (chunk: Buffer) => {
			buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
			try {
				const parsed = parseReply(buffer);
				if (!parsed) return;
				buffer = buffer.subarray(parsed.next);
				const take = waiting;
				waiting = undefined;
				if (take) take(parsed.reply);
				else finish(new ProbeFailure('protocol-error', 'the server sent a reply nobody asked for'));
			} catch (error) {
				finish(error instanceof ProbeFailure ? error : new ProbeFailure('protocol-error', errorMessage(error)));
			}
		});
		const send = (args: readonly string[]) =>
			new Promise<Reply>((take) => {
				waiting = take;
				socket.write(encodeCommand(args));
			});
		socket.once(url.tls ? 'secureConnect' : 'connect', () => {
			connected = true;
			void (async () => {
				for (const command of redisCommands(url)) {
					const name = command[0]!;
					const reply = await send(command);
					if (settled) return;
					if (name === 'PING') {
						if (reply.kind === 'simple' && reply.text === 'PONG') return finish();
						return finish(replyFailure(name, reply));
					}
					if (reply.kind !== 'simple' || reply.text !== 'OK') return finish(replyFailure(name, reply));
				}
			})();
		});
	});
}
