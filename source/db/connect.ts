/**
 * Connections over `pg`, with the errors a DBA can act on: wrong password,
 * unknown database, unreachable host, TLS required. Messages name the target
 * as user@host:port/db and never carry the password.
 */
import pg from 'pg';
import type {Target} from './target.js';
import {redact} from './target.js';
import {UserError} from '../errors.js';

export async function connect(target: Target, applicationName = 'runbook', options: {connectTimeoutMs?: number} = {}): Promise<pg.Client> {
	const client = new pg.Client(
		target.clientConfig({application_name: applicationName, connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000}),
	);
	// An idle client whose server goes away emits 'error'; without a listener Node would crash.
	client.on('error', () => undefined);
	try {
		await client.connect();
	} catch (error) {
		await client.end().catch(() => undefined);
		throw connectionError(target, error);
	}
	return client;
}

export function connectionError(target: Target, error: unknown): UserError {
	const e = error as {code?: string; message?: string};
	const raw = redact(e.message ?? String(error), target.secrets);
	let advice: string;
	switch (e.code) {
		case '28P01':
		case '28000':
			advice = `The server refused the credentials for user \`${target.user}\`. Check the user and password in --database-url / DATABASE_URL (the password is not shown here).`;
			break;
		case '3D000':
			advice = `The database \`${target.database}\` does not exist on ${target.host}:${target.port}. Check the database name at the end of the URL.`;
			break;
		case 'ECONNREFUSED':
			advice = `Nothing accepts connections on ${target.host}:${target.port}. Check the host and port, and that the server is running and reachable from here.`;
			break;
		case 'ENOTFOUND':
		case 'EAI_AGAIN':
			advice = `The host name \`${target.host}\` could not be resolved. Check the host in the URL and this machine's DNS.`;
			break;
		case 'ETIMEDOUT':
			advice = `Connecting to ${target.host}:${target.port} timed out. Check the network path (firewall, VPN) to the server.`;
			break;
		default:
			advice = /timeout/i.test(raw)
				? `Connecting to ${target.host}:${target.port} timed out. Check the network path (firewall, VPN) to the server.`
				: /SSL|TLS|pg_hba/i.test(raw)
					? 'The server requires another TLS or authentication setup: add ?sslmode=require to the URL, or check pg_hba.conf.'
					: 'Check the URL given with --database-url or DATABASE_URL.';
	}
	return new UserError(`Could not connect to ${target.display}: ${raw}. ${advice} Nothing was changed.`, {cause: error});
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
