/**
 * One rehearsed migration, measured: each statement of its file with the
 * server's own duration, and each relation lock its transaction took (mode,
 * relation, how long it was held until the transaction ended), attributed to
 * the statement that took it.
 *
 * Attribution: the sampler sees a lock at the first sample after the
 * statement that took it started. The lock goes to the earliest statement
 * that names the relation and started within two sample intervals before the
 * lock was first seen; failing that, to the last statement that names it and
 * started before; failing that, to the last statement started before.
 */
import type {LockSamples} from '../db/lock-sampler.js';
import {classifyStatement, normalizeSql, type LoggedStatement} from './statement-log.js';

export type {LoggedStatement};

export type MeasuredLock = {
	readonly relation: string;
	readonly relkind: string;
	readonly mode: string;
	readonly heldMs: number;
	readonly waitedMs: number;
	/** 1-based number of the statement it is attributed to (0: none). */
	readonly statement: number;
};

export type MeasuredStatement = {
	readonly n: number;
	/** The statement's first 240 characters, whitespace collapsed. */
	readonly text: string;
	readonly durationMs: number;
	/** Start relative to the migration's first statement, ms. */
	readonly offsetMs: number;
	readonly locks: ReadonlyArray<{readonly relation: string; readonly mode: string}>;
};

export type MigrationMeasurement = {
	readonly statements: readonly MeasuredStatement[];
	readonly locks: readonly MeasuredLock[];
	/** Sum of the statements' durations. */
	readonly statementsMs: number;
	/** The COMMIT's own duration (the ledger row commits in it too). */
	readonly commitMs?: number;
	/** The runbook's guard and ledger statements, summed. */
	readonly wrapperMs: number;
	readonly sampleIntervalMs: number;
	readonly samples: number;
};

function mentions(text: string, relation: string): boolean {
	const table = relation.split('.').at(-1)!.replace(/"/g, '');
	return new RegExp(`(^|[^A-Za-z0-9_])"?${table.replace(/[$]/g, '\\$')}"?([^A-Za-z0-9_]|$)`, 'i').test(text);
}

export function measureMigration(input: {
	readonly logged: readonly LoggedStatement[];
	readonly samples: LockSamples;
	readonly migrationSql: string;
}): MigrationMeasurement {
	// Only the last attempt (a lock-timeout retry starts a new BEGIN).
	const lastBegin = input.logged.map((s) => /^BEGIN/i.test(normalizeSql(s.text))).lastIndexOf(true);
	const session = lastBegin >= 0 ? input.logged.slice(lastBegin) : [...input.logged];
	const roles = session.map((s) => classifyStatement(s.text, input.migrationSql));
	const first = roles.indexOf('migration');
	const last = roles.lastIndexOf('migration');
	const own = first < 0 ? [] : session.slice(first, last + 1).filter((_, i) => roles[first + i] !== 'transaction');
	const wrapperMs = session.filter((_, i) => roles[i] === 'wrapper' && (i < first || i > last)).reduce((sum, s) => sum + s.durationMs, 0);
	const commit = session.find((s) => /^COMMIT/i.test(normalizeSql(s.text)));
	const starts = own.map((s) => s.endedAtMs - s.durationMs);
	const t0 = starts[0] ?? 0;
	const slack = 2 * input.samples.intervalMs + 5;
	const locks: MeasuredLock[] = input.samples.locks
		.filter((l) => !l.relation.startsWith('runbook.') && !l.relation.startsWith('pg_catalog.'))
		.map((l) => {
			const seen = Date.parse(l.firstSeenAt);
			const before = own.map((s, i) => ({s, i, start: starts[i]!})).filter((c) => c.start <= seen + 1);
			const naming = before.filter((c) => mentions(c.s.text, l.relation));
			const recent = naming.filter((c) => c.start >= seen - slack);
			const pick = recent[0] ?? naming.at(-1) ?? before.at(-1);
			return {relation: l.relation, relkind: l.relkind, mode: l.mode, heldMs: l.heldMs, waitedMs: l.waitedMs, statement: pick ? pick.i + 1 : 0};
		});
	const statements = own.map((s, i): MeasuredStatement => ({
		n: i + 1,
		text: normalizeSql(s.text).slice(0, 240),
		durationMs: s.durationMs,
		offsetMs: Math.max(0, starts[i]! - t0),
		locks: locks.filter((l) => l.statement === i + 1).map((l) => ({relation: l.relation, mode: l.mode})),
	}));
	return {
		statements,
		locks,
		statementsMs: own.reduce((sum, s) => sum + s.durationMs, 0),
		...(commit ? {commitMs: commit.durationMs} : {}),
		wrapperMs,
		sampleIntervalMs: input.samples.intervalMs,
		samples: input.samples.samples,
	};
}
