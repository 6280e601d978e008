/**
 * The migration must give way before the application does. When a migration
 * and an application transaction wait for each other (Step 2 locks the
 * platform tables one by one while a transaction touches two of them in the
 * other order), PostgreSQL breaks the cycle only when one of them runs its
 * deadlock check, deadlock_timeout (1 s by default) after it began to wait,
 * and the one that checks is the one aborted. A migration whose lock_timeout
 * is shorter gives up first: it rolls back, the application's transaction
 * goes on, and the runbook retries with backoff. pgroll uses 500 ms.
 */
import type pg from 'pg';

export const DEFAULT_LOCK_TIMEOUT_MS = 500;
export const DEFAULT_LOCK_RETRIES = 10;
export const DEFAULT_RETRY_DELAY_MS = 250;

export type LockTimeoutChoice = {
	readonly lockTimeoutMs: number;
	/** The server's deadlock_timeout, ms. */
	readonly deadlockTimeoutMs: number;
	/** How the value was chosen, for the journal and the screen. */
	readonly note: string;
};

/** The lock_timeout to run migrations with on this server: the default, lowered to half of deadlock_timeout if that is not below it; a given value as given. */
export async function chooseLockTimeout(client: pg.ClientBase, wanted: number, given: boolean): Promise<LockTimeoutChoice> {
	const {rows} = await client.query<{ms: string}>(`SELECT setting AS ms FROM pg_catalog.pg_settings WHERE name = 'deadlock_timeout'`);
	const deadlockTimeoutMs = Number(rows[0]?.ms ?? 1000);
	if (given) {
		const note =
			wanted < deadlockTimeoutMs
				? `lock_timeout ${wanted} ms (--lock-timeout), below the server's deadlock_timeout ${deadlockTimeoutMs} ms: a migration in a lock cycle with the application gives way first`
				: `lock_timeout ${wanted} ms (--lock-timeout) is not below the server's deadlock_timeout ${deadlockTimeoutMs} ms: in a lock cycle the application's transaction may be the one aborted (a deadlock error in the application); a value under ${deadlockTimeoutMs} ms avoids that`;
		return {lockTimeoutMs: wanted, deadlockTimeoutMs, note};
	}
	const lockTimeoutMs = wanted < deadlockTimeoutMs ? wanted : Math.max(1, Math.floor(deadlockTimeoutMs / 2));
	const lowered = lockTimeoutMs === wanted ? '' : ` (lowered from ${wanted} ms)`;
	return {lockTimeoutMs, deadlockTimeoutMs, note: `lock_timeout ${lockTimeoutMs} ms${lowered}, below the server's deadlock_timeout ${deadlockTimeoutMs} ms: a migration in a lock cycle with the application gives way first and is retried`};
}
