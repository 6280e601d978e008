/**
 * The resource port: how any part of runbook says "I am about to create this
 * on the server or the disk" and "it is gone". Only types and a no-op tracker
 * live here, at the bottom of the layers, so db/, proc/ and every topic module
 * can take a tracker; the journal-backed one is state/resources.ts.
 *
 * The rule (issue 15): register BEFORE the thing exists, release AFTER it is
 * gone. A kill in between leaves an open record; a resumed run and
 * `runbook cleanup` find it there and drop, remove, end or keep it.
 *
 *   const scratch = resources.register({kind: 'database', name, purpose: 'test restore', server: admin.display, via: 'test-target'});
 *   await createDatabase(name);
 *   …
 *   await dropDatabase(name);
 *   scratch.release('dropped');
 */
import {randomBytes} from 'node:crypto';

export type ResourceKind =
	/** A database on a server (scratch, test restore, the restored copy, the pre-restore copy). */
	| 'database'
	/** A file (partial or unrecorded backup, temporary passfile, psql output file). */
	| 'file'
	/** A directory (a throwaway server's data directory), removed with its contents. */
	| 'directory'
	/** A server process the runbook started (embedded PostgreSQL, redis-server), by pid. */
	| 'server'
	/** A child process (psql, pg_dump, pg_restore), by pid and by its application_name in pg_stat_activity. */
	| 'process'
	/** A change to a database's settings that must be undone (ALTER DATABASE … ALLOW_CONNECTIONS false). */
	| 'setting';

export type ResourceSpec = {
	readonly kind: ResourceKind;
	/** A database name, an absolute path, a binary name (process/server). */
	readonly name: string;
	/** Why it exists, in a few words (shown by status, the report and cleanup). */
	readonly purpose: string;
	/** database/setting/process: which server (user@host:port, never a password). */
	readonly server?: string;
	/** database/setting/process: the connection that reaches it: the run's target, or TEST_DATABASE_URL. */
	readonly via?: 'target' | 'test-target';
	/** It holds data the operator may want: never removed without the operator saying so. */
	readonly holdsData?: boolean;
	/** process/server: the OS pid, when known at registration (otherwise `update`). */
	readonly pid?: number;
	/** process/server: the host the pid belongs to (pids mean nothing elsewhere). */
	readonly host?: string;
	/** process: its application_name (PGAPPNAME), unique per child, to find its session. */
	readonly applicationName?: string;
	/** process: what a resumed run does with an orphan: wait for it (its work commits by itself) or end it (its work is discarded). */
	readonly onOrphan?: 'wait' | 'end';
	/** directory/server: the data directory or port, for the operator. */
	readonly detail?: string;
	/** The plan item it was made for. */
	readonly itemId?: string;
	/** Size in bytes, when known (a pre-restore copy, a backup file). */
	readonly bytes?: number;
};

/**
 * `sync: false` journals without an fsync of its own: the next fsync'd event
 * makes it durable. For a pair registered together (the last one fsyncs for
 * both), or the release of something a resumed run would find gone anyway.
 */
export type JournalOptions = {readonly sync?: boolean};

export type ResourceHandle = {
	readonly id: string;
	readonly name: string;
	/** Records what became known after creation (a pid, a size). */
	readonly update: (patch: {readonly pid?: number; readonly bytes?: number; readonly detail?: string}) => void;
	/** Records that it is gone (or handed over: "renamed to app", "recorded as the backup"). */
	readonly release: (how: string, options?: JournalOptions) => void;
};

export type ResourceTracker = {
	/** Journals the resource, durably (unless `sync: false`, see JournalOptions), before the caller creates it. */
	readonly register: (spec: ResourceSpec, options?: JournalOptions) => ResourceHandle;
	/** A short tag of the run's id for names (`[a-z0-9_]`): every created name carries it. */
	readonly runTag: string;
};

/** For callers outside a run (a standalone verify, a test): nothing is journaled. */
export function untracked(runTag = `norun_${new Date().toISOString().replace(/\D/g, '').slice(0, 14)}`): ResourceTracker {
	let n = 0;
	return {
		runTag,
		register: (spec) => {
			n += 1;
			return {id: `untracked-${n}`, name: spec.name, update: () => undefined, release: () => undefined};
		},
	};
}

/** A PGAPPNAME no other session has (`base:8 hex`), so a child's session is found by name after a kill. */
export function uniqueAppName(base: string): string {
	return `${base.slice(0, 54)}:${randomBytes(4).toString('hex')}`;
}

/** The run id as it may appear in a database name or a file name: lower case, `[a-z0-9_]`. */
export function runTagOf(runId: string): string {
	return runId.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '') || 'run';
}
