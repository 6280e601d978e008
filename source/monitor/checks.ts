/**
 * The plan's weeks 2–4 stability checks as queries, plus pg_stat_database
 * counters as a proxy for errors when no server log is available.
 *
 * - RLS policies still active: every base table of the schema has RLS enabled
 *   and at least one policy (derived from the catalog, not a fixed count).
 * - Connection configurations intact: platform.databases has rows, and every
 *   active row carries ciphertext.
 * - Encryption still working: `platform.decrypt_database_connection_string(id)`
 *   returns a non-empty value for every row that has ciphertext. Only the
 *   length is compared server-side; the plaintext never reaches this process.
 *
 * Everything runs in `BEGIN READ ONLY … ROLLBACK`, each decryption under its
 * own savepoint so one bad row does not hide the others.
 */
import type {ClientBase} from 'pg';
import {redact} from '../db/target.js';
import {errorMessage} from '../errors.js';

export type CheckStatus = 'pass' | 'fail' | 'warn' | 'skipped';

export type MonitorCheckId = 'rls-active' | 'connections-intact' | 'encryption-working';

export type MonitorCheck = {
	readonly id: MonitorCheckId;
	readonly title: string;
	readonly status: CheckStatus;
	/** One line: what was checked and the outcome. */
	readonly detail: string;
	/** One entry per failing object ("platform.users: RLS disabled"). */
	readonly failures: readonly string[];
};

export type Activity = {
	readonly xactCommit: number;
	readonly xactRollback: number;
	/** xactRollback / (commit + rollback), 0 when idle. */
	readonly rollbackRatio: number;
	readonly conflicts: number;
	readonly deadlocks: number;
	/** When the counters were last reset (ISO), null if never. */
	readonly statsReset: string | null;
};

type CheckOptions = {
	readonly schema: string;
	readonly secrets: readonly string[];
	/** Session settings for the checks (e.g. the decryption key setting), set with set_config(…, true). */
	readonly settings?: Readonly<Record<string, string>>;
};

function sqlState(error: unknown): string {
	const code = (error as {code?: unknown}).code;
	return typeof code === 'string' ? ` (SQLSTATE ${code})` : '';
}

export async function rlsActive(client: ClientBase, schema: string): Promise<MonitorCheck> {
	const {rows} = await client.query<{relation: string; enabled: boolean; policies: number}>(
		`SELECT format('%s.%s', n.nspname, c.relname) AS relation, c.relrowsecurity AS enabled,
		        (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid)::int AS policies
		   FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		  WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')
		  ORDER BY 1`,
		[schema],
	);
	const title = 'RLS policies still active';
	if (rows.length === 0) {
		return {id: 'rls-active', title, status: 'fail', detail: `Schema ${schema} has no tables.`, failures: [`${schema}: no tables`]};
	}
	const failures: string[] = [];
	for (const row of rows) {
		if (!row.enabled && row.policies === 0) failures.push(`${row.relation}: RLS disabled and no policy`);
		else if (!row.enabled) failures.push(`${row.relation}: RLS disabled`);
		else if (row.policies === 0) failures.push(`${row.relation}: no policy`);
	}
	const policies = rows.reduce((sum, r) => sum + r.policies, 0);
	return {
		id: 'rls-active',
		title,
		status: failures.length === 0 ? 'pass' : 'fail',
		detail:
			failures.length === 0
				? `All ${rows.length} tables in ${schema} have RLS enabled and at least one policy (${policies} policies).`
				: `${failures.length} of ${rows.length} tables in ${schema} are not protected: ${failures.join('; ')}.`,
		failures,
	};
}

type DatabaseRow = {id: string; name: string; type: string; status: string; encrypted: boolean};

async function databaseRows(client: ClientBase, schema: string): Promise<DatabaseRow[] | string> {
	const exists = await client.query<{present: boolean}>(`SELECT to_regclass(format('%I.databases', $1::text)) IS NOT NULL AS present`, [schema]);
	if (!exists.rows[0]?.present) return `${schema}.databases does not exist`;
	const {rows: sql} = await client.query<{sql: string}>(
		`SELECT format('SELECT d.id::text AS id, d.name, d.type, d.status, d.connection_string_encrypted IS NOT NULL AS encrypted FROM %I.databases d ORDER BY d.name, d.id', $1::text) AS sql`,
		[schema],
	);
	const {rows} = await client.query<DatabaseRow>(sql[0]!.sql);
	return rows;
}

export function connectionsIntact(rows: DatabaseRow[] | string, schema: string): MonitorCheck {
	const title = 'Connection configurations intact';
	if (typeof rows === 'string') return {id: 'connections-intact', title, status: 'fail', detail: `${rows}.`, failures: [rows]};
	if (rows.length === 0) {
		return {id: 'connections-intact', title, status: 'fail', detail: `${schema}.databases has no rows: the registrations are gone.`, failures: [`${schema}.databases: empty`]};
	}
	const active = rows.filter((r) => r.status === 'active');
	const failures = active.filter((r) => !r.encrypted).map((r) => `${r.name} (${r.type}): active without ciphertext`);
	if (failures.length > 0) {
		return {id: 'connections-intact', title, status: 'fail', detail: `${failures.length} active registration(s) have no encrypted connection string: ${failures.join('; ')}.`, failures};
	}
	if (active.length === 0) {
		return {id: 'connections-intact', title, status: 'warn', detail: `${rows.length} registration(s), none active (placeholders not yet registered from the environment?).`, failures: []};
	}
	return {id: 'connections-intact', title, status: 'pass', detail: `${rows.length} registration(s), ${active.length} active, every active one encrypted.`, failures: []};
}

async function encryptionWorking(client: ClientBase, rows: DatabaseRow[] | string, schema: string, secrets: readonly string[]): Promise<MonitorCheck> {
	const title = 'Encryption still working';
	if (typeof rows === 'string') return {id: 'encryption-working', title, status: 'skipped', detail: `Nothing to decrypt: ${rows}.`, failures: []};
	const fn = await client.query<{present: boolean}>(
		`SELECT to_regprocedure(format('%I.decrypt_database_connection_string(uuid)', $1::text)) IS NOT NULL AS present`,
		[schema],
	);
	if (!fn.rows[0]?.present) {
		const failure = `${schema}.decrypt_database_connection_string(uuid) does not exist`;
		return {id: 'encryption-working', title, status: 'fail', detail: `${failure}.`, failures: [failure]};
	}
	const {rows: call} = await client.query<{sql: string}>(
		`SELECT format('SELECT coalesce(length(%I.decrypt_database_connection_string($1::uuid)), 0) > 0 AS ok', $1::text) AS sql`,
		[schema],
	);
	const failures: string[] = [];
	let tested = 0;
	for (const row of rows) {
		if (!row.encrypted) {
			if (row.status === 'active') failures.push(`${row.name} (${row.type}): no ciphertext to decrypt`);
			continue;
		}
		tested += 1;
		await client.query('SAVEPOINT runbook_decrypt');
		try {
			const result = await client.query<{ok: boolean}>(call[0]!.sql, [row.id]);
			if (!result.rows[0]?.ok) failures.push(`${row.name} (${row.type}): decrypts to nothing`);
			await client.query('RELEASE SAVEPOINT runbook_decrypt');
		} catch (error) {
			await client.query('ROLLBACK TO SAVEPOINT runbook_decrypt');
			failures.push(`${row.name} (${row.type}): ${redact(errorMessage(error), secrets)}${sqlState(error)}`);
		}
	}
	if (failures.length > 0) {
		return {id: 'encryption-working', title, status: 'fail', detail: `${failures.length} registration(s) cannot be decrypted: ${failures.join('; ')}.`, failures};
	}
	if (tested === 0) return {id: 'encryption-working', title, status: 'warn', detail: 'No registration carries ciphertext, so decryption was not exercised.', failures: []};
	return {id: 'encryption-working', title, status: 'pass', detail: `All ${tested} encrypted registration(s) decrypt to a non-empty value.`, failures: []};
}

/** The three weeks 2–4 checks, in one read-only transaction. */
export async function stabilityChecks(client: ClientBase, options: CheckOptions): Promise<MonitorCheck[]> {
	await client.query('BEGIN READ ONLY');
	try {
		for (const [name, value] of Object.entries(options.settings ?? {})) {
			await client.query(`SELECT set_config($1, $2, true)`, [name, value]);
		}
		const rls = await rlsActive(client, options.schema);
		const rows = await databaseRows(client, options.schema).catch((error: unknown) => `reading ${options.schema}.databases failed: ${redact(errorMessage(error), options.secrets)}${sqlState(error)}`);
		const connections = connectionsIntact(rows, options.schema);
		const encryption = await encryptionWorking(client, rows, options.schema, options.secrets);
		return [rls, connections, encryption];
	} finally {
		await client.query('ROLLBACK').catch(() => undefined);
	}
}

export async function databaseActivity(client: ClientBase): Promise<Activity> {
	const {rows} = await client.query<{commit: string; rollback: string; conflicts: string; deadlocks: string; reset: Date | null}>(
		`SELECT xact_commit::text AS commit, xact_rollback::text AS rollback, conflicts::text AS conflicts, deadlocks::text AS deadlocks, stats_reset AS reset
		   FROM pg_stat_database WHERE datname = current_database()`,
	);
	const row = rows[0];
	const commit = Number(row?.commit ?? 0);
	const rollback = Number(row?.rollback ?? 0);
	return {
		xactCommit: commit,
		xactRollback: rollback,
		rollbackRatio: commit + rollback === 0 ? 0 : Math.round((rollback / (commit + rollback)) * 10_000) / 10_000,
		conflicts: Number(row?.conflicts ?? 0),
		deadlocks: Number(row?.deadlocks ?? 0),
		statsReset: row?.reset ? row.reset.toISOString() : null,
	};
}
