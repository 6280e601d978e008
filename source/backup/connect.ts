/**
 * A short-lived `pg` client for the backup module's catalog queries. Connection
 * failures become a `UserError` naming the target (never its password).
 */
import pg from 'pg';
import type {Target} from '../db/target.js';
import {redact} from '../db/target.js';
import {UserError, errorMessage} from '../errors.js';

export async function withBackupClient<T>(target: Target, fn: (client: pg.Client) => Promise<T>): Promise<T> {
	const client = new pg.Client(target.clientConfig({application_name: 'runbook-backup'}));
	try {
		await client.connect();
	} catch (error) {
		await client.end().catch(() => undefined);
		throw new UserError(
			`Could not connect to ${target.display}: ${redact(errorMessage(error), target.secrets)}. Check that the server is reachable, the database exists and the credentials are right.`,
			{cause: error},
		);
	}
	try {
		return await fn(client);
	} finally {
		await client.end().catch(() => undefined);
	}
}
