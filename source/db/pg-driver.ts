/**
 * The pg driver, loaded the first time a connection is made: commands that
 * never connect (`status` on local state, `validate`, `--help`) do not pay
 * for loading it (about 70 ms of CPU at start-up).
 */
import type pg from 'pg';

let driver: Promise<typeof pg> | undefined;

export function pgDriver(): Promise<typeof pg> {
	driver ??= import('pg').then((m) => m.default);
	return driver;
}
