/**
 * The ledger: which migrations of which plan are applied, written by the
 * migration's own psql session in the same transaction as the migration, so
 * the ledger and the schema can never disagree — whatever killed the runbook.
 *
 *   runbook.applied_migrations  one row per applied migration item (current state)
 *   runbook.events              append-only: every apply and revert, with its execution id
 *
 * Two advisory locks per plan and database:
 *   run lock       held by the runbook's session for the whole run: one run at a time;
 *   in-flight lock held by the psql child inside its transaction: a resumed run takes it
 *                  before reading the ledger, so it waits for an orphaned psql to commit
 *                  or roll back instead of guessing.
 */
import type pg from 'pg';
import {createHash} from 'node:crypto';
import {readFile} from 'node:fs/promises';
import {UserError} from '../errors.js';

export const RUN_LOCK_CLASS = 0x52424b31; // 'RBK1'
export const INFLIGHT_LOCK_CLASS = 0x52424b32; // 'RBK2'

/** A stable signed 32-bit key for a plan id. */
export function planLockKey(planId: string): number {
	return createHash('sha256').update(planId).digest().readInt32BE(0);
}

export async function fileSha256(file: string): Promise<string> {
	return createHash('sha256').update(await readFile(file)).digest('hex');
}

const LEDGER_DDL = `
CREATE SCHEMA IF NOT EXISTS runbook;
COMMENT ON SCHEMA runbook IS 'Ledger of the runbook tool: which plan items (migrations) are applied. Written in the same transaction as each migration.';
CREATE TABLE IF NOT EXISTS runbook.applied_migrations (
	plan         text        NOT NULL,
	item         text        NOT NULL,
	file         text        NOT NULL,
	sha256       text        NOT NULL,
	run_id       text        NOT NULL,
	execution_id uuid        NOT NULL,
	applied_by   text        NOT NULL DEFAULT current_user,
	applied_at   timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (plan, item)
);
CREATE TABLE IF NOT EXISTS runbook.events (
	id           bigserial   PRIMARY KEY,
	plan         text        NOT NULL,
	item         text        NOT NULL,
	action       text        NOT NULL CHECK (action IN ('apply', 'revert', 'run')),
	file         text        NOT NULL,
	sha256       text        NOT NULL,
	run_id       text        NOT NULL,
	execution_id uuid        NOT NULL UNIQUE,
	at           timestamptz NOT NULL DEFAULT now(),
	by_role      text        NOT NULL DEFAULT current_user
);
CREATE OR REPLACE FUNCTION runbook.assert_not_applied(p_plan text, p_item text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
	v_row runbook.applied_migrations;
BEGIN
	SELECT * INTO v_row FROM runbook.applied_migrations WHERE plan = p_plan AND item = p_item;
	IF FOUND THEN
		RAISE EXCEPTION 'runbook: % of plan % is already applied (run %, at %); refusing to apply it twice', p_item, p_plan, v_row.run_id, v_row.applied_at
			USING ERRCODE = 'RB001';
	END IF;
END
$fn$;
`;

export async function ensureLedger(client: pg.ClientBase): Promise<void> {
	const {rows} = await client.query<{ok: boolean}>(
		`SELECT to_regclass('runbook.applied_migrations') IS NOT NULL AND to_regclass('runbook.events') IS NOT NULL AS ok`,
	);
	if (rows[0]?.ok) return;
	try {
		// One round trip: a statement that fails stops the rest of the text, COMMIT included, and is rolled back below.
		await client.query(`BEGIN;\n${LEDGER_DDL}\nCOMMIT;`);
	} catch (error) {
		await client.query('ROLLBACK').catch(() => undefined);
		throw new UserError(
			`runbook could not create its ledger (schema \`runbook\`) in the target database: ${(error as Error).message}. The connecting role needs CREATE on the database (or create the schema runbook for it beforehand). Nothing else was changed.`,
			{cause: error},
		);
	}
}

export type LedgerRow = {plan: string; item: string; file: string; sha256: string; run_id: string; execution_id: string; applied_at: Date};

export async function appliedMigrations(client: pg.ClientBase, plan: string): Promise<Map<string, LedgerRow>> {
	const exists = await client.query<{ok: boolean}>(`SELECT to_regclass('runbook.applied_migrations') IS NOT NULL AS ok`);
	if (!exists.rows[0]?.ok) return new Map();
	const {rows} = await client.query<LedgerRow>('SELECT * FROM runbook.applied_migrations WHERE plan = $1', [plan]);
	return new Map(rows.map((row) => [row.item, row]));
}

export async function executionCommitted(client: pg.ClientBase, executionId: string): Promise<boolean> {
	const exists = await client.query<{ok: boolean}>(`SELECT to_regclass('runbook.events') IS NOT NULL AS ok`);
	if (!exists.rows[0]?.ok) return false;
	const {rows} = await client.query('SELECT 1 FROM runbook.events WHERE execution_id = $1', [executionId]);
	return rows.length > 0;
}

/**
 * Waits until no psql of this plan is inside a migration transaction (an
 * orphan of a killed run holds the in-flight lock until it commits or dies).
 */
export async function waitForInflight(client: pg.ClientBase, planId: string, timeoutMs: number): Promise<void> {
	await client.query('BEGIN');
	try {
		await client.query(`SELECT set_config('lock_timeout', $1, true)`, [`${timeoutMs}ms`]);
		await client.query('SELECT pg_advisory_xact_lock($1, $2)', [INFLIGHT_LOCK_CLASS, planLockKey(planId)]);
		await client.query('COMMIT');
	} catch (error) {
		await client.query('ROLLBACK').catch(() => undefined);
		throw new UserError(
			`A psql session of an earlier run of this plan is still inside a migration transaction after ${Math.round(timeoutMs / 1000)} s. Find it with SELECT pid, state, query FROM pg_stat_activity WHERE application_name LIKE 'runbook:%'; wait for it or terminate it, then --resume again.`,
			{cause: error},
		);
	}
}

/** psql files that wrap a migration: guard + in-flight lock before, ledger rows after (psql variables, never text). */
export const LEDGER_GUARD_SQL = `-- runbook: inside the migration's transaction, before it (quiet: the output shows only the migration's own tags)
\\set QUIET on
SELECT pg_advisory_xact_lock(:rb_lock_class, :rb_lock_key) AS rb_locked \\gset
-- If the migration and an application transaction deadlock, the migration must be the one to give way
-- (it is retried): its deadlock check runs first. Only a superuser may set this; others keep the default.
DO $rb$ BEGIN PERFORM pg_catalog.set_config('deadlock_timeout', '100ms', true); EXCEPTION WHEN insufficient_privilege THEN NULL; END $rb$;
\\if :{?rb_apply}
SELECT runbook.assert_not_applied(:'rb_plan', :'rb_item') AS rb_guard \\gset
\\endif
\\set QUIET off
`;

export const LEDGER_RECORD_SQL = `-- runbook: ledger rows, committed with the migration or not at all
\\set QUIET on
\\if :{?rb_apply}
INSERT INTO runbook.applied_migrations (plan, item, file, sha256, run_id, execution_id)
VALUES (:'rb_plan', :'rb_item', :'rb_file', :'rb_sha256', :'rb_run', :'rb_execution');
\\endif
\\if :{?rb_reverts}
DELETE FROM runbook.applied_migrations WHERE plan = :'rb_plan' AND item = ANY (string_to_array(:'rb_reverts', ','));
\\endif
INSERT INTO runbook.events (plan, item, action, file, sha256, run_id, execution_id)
VALUES (:'rb_plan', :'rb_item', :'rb_action', :'rb_file', :'rb_sha256', :'rb_run', :'rb_execution');
`;
