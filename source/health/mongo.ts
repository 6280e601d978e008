/**
 * MongoDB health probe: the official driver's `ping` command on `admin`, with
 * short server-selection and connect timeouts and a pool of one. Errors are
 * classified (refused, timeout, auth failed, TLS, DNS) and masked.
 */
import type {MongoClient} from 'mongodb';
import {redact} from '../db/target.js';
import {errorMessage} from '../errors.js';
import {parseServiceUrl, type ServiceUrl} from '../railway/parse-url.js';
import type {ProbeOutcome, ProbeResult} from './probe-result.js';

export type MongoProbeOptions = {
	/** Bounds server selection, connect and the ping (default 3000 ms). */
	readonly timeoutMs?: number;
};

/** Every message and code in an error, its causes and the driver's per-server errors. */
function collect(error: unknown, seen = new Set<unknown>()): {messages: string[]; codes: Array<string | number>} {
	const out = {messages: [] as string[], codes: [] as Array<string | number>};
	if (error === null || typeof error !== 'object' || seen.has(error)) return out;
	seen.add(error);
	const e = error as {message?: unknown; code?: unknown; codeName?: unknown; cause?: unknown; reason?: {servers?: Map<string, {error?: unknown}>}};
	if (typeof e.message === 'string') out.messages.push(e.message);
	if (typeof e.code === 'string' || typeof e.code === 'number') out.codes.push(e.code);
	if (typeof e.codeName === 'string') out.codes.push(e.codeName);
	const nested: unknown[] = [e.cause];
	const servers = e.reason?.servers;
	if (servers instanceof Map) for (const server of servers.values()) nested.push(server.error);
	for (const inner of nested) {
		const more = collect(inner, seen);
		out.messages.push(...more.messages);
		out.codes.push(...more.codes);
	}
	return out;
}

export function classifyMongoError(error: unknown): {outcome: ProbeOutcome; reason: string} {
	const {messages, codes} = collect(error);
	const all = messages.join(' | ');
	const has = (pattern: RegExp) => pattern.test(all) || codes.some((c) => pattern.test(String(c)));
	if (codes.includes(18) || codes.includes('AuthenticationFailed') || /authentication failed|auth.*fail/i.test(all)) {
		return {outcome: 'auth-failed', reason: 'authentication failed (check the user name, password and authSource)'};
	}
	if (has(/ECONNREFUSED/)) return {outcome: 'refused', reason: 'connection refused (nothing listens on that host and port)'};
	if (has(/ENOTFOUND|EAI_AGAIN|querySrv|ENODATA/)) return {outcome: 'dns-error', reason: 'the host name (or its SRV record) does not resolve'};
	if (has(/ERR_TLS|ERR_SSL|CERT_|SELF_SIGNED|certificate|tls|ssl/i)) return {outcome: 'tls-error', reason: `TLS failed (${messages[0] ?? 'handshake'})`};
	if (has(/timed out|timeout|ETIMEDOUT/i)) return {outcome: 'timeout', reason: 'no answer within the timeout'};
	return {outcome: 'error', reason: messages[0] ?? errorMessage(error)};
}

/** `db.admin().ping()` against a MongoDB URL; never throws. */
export async function pingMongo(input: string | ServiceUrl, options: MongoProbeOptions = {}): Promise<ProbeResult> {
	const started = performance.now();
	const latency = () => Math.round((performance.now() - started) * 10) / 10;
	let url: ServiceUrl;
	try {
		url = typeof input === 'string' ? parseServiceUrl(input, 'The MongoDB URL') : input;
	} catch (error) {
		return {ok: false, outcome: 'error', latencyMs: latency(), error: errorMessage(error)};
	}
	const where = `MongoDB at ${url.srv ? url.host : url.hosts.map((h) => `${h.host}:${h.port}`).join(',')}`;
	if (url.type !== 'mongodb') {
		return {ok: false, outcome: 'error', latencyMs: latency(), error: `${where}: not a mongodb:// or mongodb+srv:// URL`};
	}
	const timeoutMs = options.timeoutMs ?? 3000;
	let client: MongoClient | undefined;
	try {
		client = new (await import('mongodb')).MongoClient(url.raw, {
			serverSelectionTimeoutMS: timeoutMs,
			connectTimeoutMS: timeoutMs,
			socketTimeoutMS: timeoutMs,
			maxPoolSize: 1,
			minPoolSize: 0,
			retryReads: false,
			retryWrites: false,
			appName: 'runbook-health',
		});
		await client.connect();
		const reply = await client.db('admin').command({ping: 1});
		if ((reply as {ok?: unknown}).ok !== 1) {
			return {ok: false, outcome: 'protocol-error', latencyMs: latency(), error: redact(`${where}: ping answered ok=${String((reply as {ok?: unknown}).ok)}`, url.secrets)};
		}
		return {ok: true, outcome: 'healthy', latencyMs: latency()};
	} catch (error) {
		const {outcome, reason} = classifyMongoError(error);
		return {ok: false, outcome, latencyMs: latency(), error: redact(`${where}: ${reason}`, url.secrets)};
	} finally {
		await client?.close(true).catch(() => undefined);
	}
}
