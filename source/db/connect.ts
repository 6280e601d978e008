/**
 * Connections over `pg`, made the way libpq makes them (several hosts,
 * sslmode's fallbacks, target_session_attrs), with the errors a DBA can act
 * on (connect-failure.ts). Messages name the target as user@host:port/db and
 * never carry the password.
 */
import type pg from 'pg';
import {pgDriver} from './pg-driver.js';
import type {Target, ConnectAttempt} from './target.js';
import {UserError} from '../errors.js';
import {explainFailure, classifyFailure} from './connect-failure.js';

/** A TLS attempt that failed this way lets sslmode=prefer go on without TLS, as libpq does (a pg_hba hostnossl rejection included). */
function tlsFailed(error: unknown): boolean {
	const kind = classifyFailure(error as {code?: string; message: string});
	return kind === 'tls-untrusted' || kind === 'tls-hostname' || kind === 'tls-unsupported' || kind === 'hba' || /SSL|TLS|socket disconnected/i.test((error as Error).message ?? '');
}

/** libpq stops at an authentication failure instead of trying the remaining hosts. */
function authFailed(error: unknown): boolean {
	const kind = classifyFailure(error as {code?: string; message: string});
	return kind === 'auth' || kind === 'no-password';
}

async function tryAttempt(attempt: ConnectAttempt): Promise<pg.Client> {
	const client = new (await pgDriver()).Client(attempt.config);
	// An idle client whose server goes away emits 'error'; without a listener Node would crash.
	client.on('error', () => undefined);
	try {
		await client.connect();
		return client;
	} catch (error) {
		await client.end().catch(() => undefined);
		throw error;
	}
}

/** target_session_attrs, checked as libpq checks it once connected. */
async function sessionMatches(client: pg.Client, attrs: string): Promise<boolean> {
	if (attrs === 'any') return true;
	if (attrs === 'read-write' || attrs === 'read-only') {
		const {rows} = await client.query<{ro: string}>('SHOW transaction_read_only');
		return (rows[0]?.ro === 'on') === (attrs === 'read-only');
	}
	const {rows} = await client.query<{standby: boolean}>('SELECT pg_is_in_recovery() AS standby');
	return rows[0]?.standby === (attrs === 'standby');
}

/**
 * Connects with libpq's rules: each host in turn; per host TLS then plain for
 * sslmode=prefer (plain then TLS for allow); an authentication failure stops
 * there; target_session_attrs picks among the servers that answered.
 */
export async function connect(target: Target, applicationName = 'runbook', options: {connectTimeoutMs?: number} = {}): Promise<pg.Client> {
	const overrides = {application_name: applicationName, ...(options.connectTimeoutMs === undefined ? {} : {connectionTimeoutMillis: options.connectTimeoutMs})};
	const wanted = target.params['target_session_attrs'] ?? 'any';
	const passes = wanted === 'prefer-standby' ? ['standby', 'any'] : [wanted];
	const failures: Array<{attempt: ConnectAttempt; error: unknown}> = [];
	for (const attrs of passes) {
		const attempts = target.attempts(overrides);
		for (let i = 0; i < attempts.length; i++) {
			const attempt = attempts[i]!;
			let client: pg.Client;
			try {
				client = await tryAttempt(attempt);
			} catch (error) {
				failures.push({attempt, error});
				if (authFailed(error)) throw connectionError(target, error);
				const next = attempts[i + 1];
				// The same host's next attempt (prefer: plain after TLS) only when TLS was what failed.
				if (next && next.host === attempt.host && attempt.tls && !tlsFailed(error)) i++;
				continue;
			}
			if (await sessionMatches(client, attrs).catch(() => false)) return client;
			await client.end().catch(() => undefined);
			// This host answered but is not what target_session_attrs asks for: skip its other attempts.
			while (attempts[i + 1]?.host === attempt.host) i++;
			failures.push({attempt, error: Object.assign(new Error(`the server at ${attempt.host.host}:${attempt.host.port} is not ${attrs} (target_session_attrs=${wanted})`), {code: 'SESSION_ATTRS'})});
		}
	}
	// One failure: its reason. Several hosts: each host's last reason.
	const last = failures[failures.length - 1]?.error ?? new Error('no host to try');
	if (target.hosts.length > 1) {
		const perHost = new Map<string, string>();
		for (const f of failures) perHost.set(`${f.attempt.host.host}:${f.attempt.host.port}`, (f.error as Error).message);
		const joined = [...perHost].map(([h, m]) => `${h}: ${m}`).join('; ');
		throw connectionError(target, Object.assign(new Error(joined), {code: (last as {code?: string}).code}));
	}
	throw connectionError(target, last);
}

export function connectionError(target: Target, error: unknown): UserError {
	const e = error as {code?: string; message?: string};
	return new UserError(explainFailure(target, {...(e.code ? {code: e.code} : {}), message: e.message ?? String(error)}).message, {cause: error});
}

export async function withClient<T>(target: Target, applicationName: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
	const client = await connect(target, applicationName);
	try {
		return await fn(client);
	} finally {
		await client.end().catch(() => undefined);
	}
}

/** Runs `fn` on the given client, or on a short-lived connection to the target (closed after). */
export async function withTargetOrClient<T>(source: Target | pg.ClientBase, applicationName: string, fn: (client: pg.ClientBase) => Promise<T>): Promise<T> {
	if (!('clientConfig' in source)) return fn(source);
	return withClient(source, applicationName, fn);
}

export async function withTransaction<T>(client: pg.ClientBase, fn: () => Promise<T>): Promise<T> {
	await client.query('BEGIN');
	try {
		const result = await fn();
		await client.query('COMMIT');
		return result;
	} catch (error) {
		await client.query('ROLLBACK').catch(() => undefined);
		throw error;
	}
}
