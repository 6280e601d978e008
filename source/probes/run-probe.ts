/**
 * Runs one probe, the application's own statement, the way the application
 * would: as its role (SET LOCAL ROLE, so RLS and grants apply to it), inside a
 * transaction that is always rolled back, so a write probe leaves nothing
 * behind. Its parameters come from the database at run time (the migration
 * role reads them in the same transaction, before SET ROLE), bound as
 * parameters, never spliced into the text. Only the shape of the result is
 * kept: column names, the row count, which nonNull columns came back NULL.
 */
import {createHash} from 'node:crypto';
import type {ClientBase} from 'pg';
import type {Probe} from '../plan/schema.js';
import {maskUrl, redact} from '../db/target.js';
import {errorMessage} from '../errors.js';
import type {ProbeResult} from './types.js';

export type ProbeRunOptions = {
	/** Bounds a probe waiting for a lock another session holds (default 2 s; then it is "not measured: blocked"). */
	readonly lockTimeoutMs?: number;
	/** Bounds a probe's statement (default 15 s). */
	readonly statementTimeoutMs?: number;
	/** Stripped from every message. */
	readonly secrets?: readonly string[];
	/** The run's named options, for parameters whose query takes one (`option`). */
	readonly options?: Readonly<Record<string, string | undefined>>;
};

type Failure = {readonly sqlstate?: string; readonly message: string};

function failure(error: unknown, secrets: readonly string[], prefix = ''): Failure {
	const code = (error as {code?: unknown}).code;
	return {...(typeof code === 'string' ? {sqlstate: code} : {}), message: `${prefix}${redact(errorMessage(error), secrets)}`};
}

function shown(value: unknown, label: string, secret: boolean): string {
	if (value === null || value === undefined) return `${label} = NULL`;
	// A password-like value is never shown, and never as `password = x` (which the redaction masks up to the next blank).
	if (/password|secret|token/i.test(label)) return `${label} (not shown)`;
	const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
	if (secret) return `${label} = sha256:${createHash('sha256').update(text).digest('hex').slice(0, 8)} (secret)`;
	return `${label} = ${maskUrl(text).slice(0, 60)}`;
}

/** A whole number of milliseconds for a SET (the default when the option is not a finite number). */
function millis(value: number | undefined, fallback: number): number {
	return value !== undefined && Number.isFinite(value) ? Math.max(0, Math.trunc(value)) : fallback;
}

/** SET LOCAL ROLE, the role bound as a parameter: the same setting (the role GUC, checked the same way), one round trip. */
export async function setLocalRole(client: ClientBase, role: string): Promise<void> {
	await client.query(`SELECT set_config('role', $1::text, true)`, [role]);
}

export async function runProbe(client: ClientBase, probe: Probe, role: string, options: ProbeRunOptions = {}): Promise<ProbeResult> {
	const secrets = options.secrets ?? [];
	const started = Date.now();
	const base = {probeId: probe.id};
	const done = (rest: Omit<ProbeResult, 'probeId' | 'durationMs'>): ProbeResult => ({...base, ...rest, durationMs: Date.now() - started});
	try {
		// The transaction, then its two timeouts bound as parameters (SQL text never carries a value); rolled back below in any case.
		await client.query('BEGIN');
		await client.query(`SELECT set_config('lock_timeout', $1, true), set_config('statement_timeout', $2, true)`, [`${millis(options.lockTimeoutMs, 2000)}ms`, `${millis(options.statementTimeoutMs, 15_000)}ms`]);
		const values: unknown[] = [];
		const params: string[] = [];
		for (const [i, param] of probe.params.entries()) {
			const label = param.label ?? `$${i + 1}`;
			if ('value' in param) {
				values.push(param.value);
				params.push(shown(param.value, label, false));
				continue;
			}
			let value: unknown;
			try {
				const {rows} = await client.query(param.from, param.option ? [options.options?.[param.option] ?? null] : []);
				const first = rows[0] as Record<string, unknown> | undefined;
				value = first ? Object.values(first)[0] : null;
			} catch (error) {
				return done({outcome: 'error', columns: [], rows: 0, params, ...failure(error, secrets, `the query for parameter ${label} failed: `)});
			}
			if ((value === null || value === undefined) && param.required) {
				return done({outcome: 'not-measured', columns: [], rows: 0, params, reason: `no ${label} in the database (the query for it returned no row)`});
			}
			values.push(value ?? null);
			params.push(shown(value, label, Boolean(param.secret)));
		}
		try {
			await setLocalRole(client, role);
		} catch (error) {
			return done({outcome: 'error', columns: [], rows: 0, params, ...failure(error, secrets, `SET ROLE ${role} failed: `)});
		}
		try {
			const result = await client.query(probe.sql, values);
			const returned = result.rows as Record<string, unknown>[];
			const columns = (result.fields ?? []).map((f) => f.name);
			const nullIn = (probe.nonNull ?? []).filter((c) => columns.includes(c) && returned.some((row) => row[c] === null || row[c] === undefined));
			return done({outcome: 'ok', columns, rows: result.rowCount ?? returned.length, params, ...(nullIn.length > 0 ? {nullIn} : {})});
		} catch (error) {
			// Another session's lock, not the migration (its locks went with its COMMIT): recorded, not counted as a change.
			if ((error as {code?: unknown}).code === '55P03') {
				return done({outcome: 'not-measured', columns: [], rows: 0, params, reason: `blocked: another session holds a conflicting lock (no lock within ${options.lockTimeoutMs ?? 2000} ms, SQLSTATE 55P03)`});
			}
			return done({outcome: 'error', columns: [], rows: 0, params, ...failure(error, secrets)});
		}
	} finally {
		await client.query('ROLLBACK').catch(() => undefined);
	}
}

/** How RLS applies to `role`: "RLS applies", or why it is bypassed (superuser, BYPASSRLS, owner of platform tables). */
export async function rlsFor(client: ClientBase, role: string, schema = 'platform'): Promise<{exists: boolean; rls: string}> {
	const {rows} = await client.query<{rolsuper: boolean; rolbypassrls: boolean; owns: number}>(
		`SELECT r.rolsuper, r.rolbypassrls,
		        (SELECT count(*)::int FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		          WHERE n.nspname = $2 AND c.relkind = 'r' AND pg_has_role(r.oid, c.relowner, 'USAGE') AND NOT c.relforcerowsecurity) AS owns
		   FROM pg_roles r WHERE r.rolname = $1`,
		[role, schema],
	);
	const r = rows[0];
	if (!r) return {exists: false, rls: 'role does not exist'};
	if (r.rolsuper) return {exists: true, rls: 'bypasses RLS: superuser'};
	if (r.rolbypassrls) return {exists: true, rls: 'bypasses RLS: BYPASSRLS'};
	if (r.owns > 0) return {exists: true, rls: `bypasses RLS: owns ${r.owns} ${schema} table(s)`};
	return {exists: true, rls: 'RLS applies'};
}
