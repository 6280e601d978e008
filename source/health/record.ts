/**
 * Writes one probe result with `platform.update_database_health(id, status,
 * error)`: 'healthy', or 'unhealthy' with the (already masked) error text.
 */
import type pg from 'pg';
import type {ProbeResult} from './probe-result.js';

/** `SELECT platform.update_database_health($1, $2, $3)`; true when the row exists. */
export async function recordHealth(client: pg.ClientBase, id: string, result: ProbeResult): Promise<boolean> {
	const {rows} = await client.query<{found: boolean | null}>(
		'SELECT platform.update_database_health($1::uuid, $2::text, $3::text) AS found',
		[id, result.ok ? 'healthy' : 'unhealthy', result.ok ? null : (result.error ?? result.outcome)],
	);
	return rows[0]?.found === true;
}
