/**
 * A run's hold on the target: the run lock (a session advisory lock on a
 * connection of its own), the working connection the items use, and the
 * activity poller that feeds the database pane. A restore suspends all three
 * (it needs the database free of sessions) and resumes them after.
 */
import path from 'node:path';
import {writeFileSync, renameSync} from 'node:fs';
import type pg from 'pg';
import type {Target} from '../db/target.js';
import {connect} from '../db/connect.js';
import {acquireRunLock, type RunLock} from '../db/run-lock.js';
import {ensureLedger} from '../db/ledger.js';
import {startActivityPoller, type ActivityPoller} from '../db/activity.js';
import type {DbActivity} from '../db/activity.js';

export type Session = {
	/** The working connection (replaced after a suspend/resume: read it each time). */
	readonly client: () => pg.Client;
	readonly activity: () => DbActivity | undefined;
	readonly subscribeActivity: (listener: (activity: DbActivity) => void) => () => void;
	/** Closes the run's own sessions on the target; call the result to reopen them. */
	readonly suspend: () => Promise<() => Promise<void>>;
	readonly close: () => Promise<void>;
};

export type SessionOptions = {
	readonly target: Target;
	readonly planId: string;
	/** activity.json goes here (what `watch` shows in its database pane). */
	readonly stateDir: string;
	/** Runs on the working connection before the ledger is created (preflight: exit 2 before anything is made). */
	readonly beforeLedger?: (client: pg.Client) => Promise<void>;
	/** The run lock and the working connection, when the caller started making them already (connectSession); made here otherwise. */
	readonly connections?: Promise<SessionConnections>;
};

export type SessionConnections = {readonly lock: RunLock; readonly client: pg.Client};

/**
 * Takes the run lock and makes the working connection, at once (one
 * handshake's wait, not two); whichever fails, the other is given back, and
 * the lock's refusal is the error that counts.
 */
export async function connectSession(target: Target, planId: string): Promise<SessionConnections> {
	const [locked, connected] = await Promise.allSettled([acquireRunLock(target, planId), connect(target, `runbook:${planId}:work`)]);
	if (locked.status === 'rejected') {
		if (connected.status === 'fulfilled') await connected.value.end().catch(() => undefined);
		throw locked.reason;
	}
	if (connected.status === 'rejected') {
		await locked.value.release();
		throw connected.reason;
	}
	return {lock: locked.value, client: connected.value};
}

/** Gives back connections a run made but will not use (it did not start); their failure was reported elsewhere, or does not matter. */
export async function releaseConnections(connections: Promise<SessionConnections>): Promise<void> {
	const made = await connections.catch(() => undefined);
	if (!made) return;
	await made.client.end().catch(() => undefined);
	await made.lock.release();
}

/** Takes the run lock, connects, prepares the ledger and starts the poller; on a failure, releases what it took. */
export async function openSession(options: SessionOptions): Promise<Session> {
	const {target, planId} = options;
	let {lock, client} = await (options.connections ?? connectSession(target, planId));
	try {
		await options.beforeLedger?.(client);
		await ensureLedger(client);
	} catch (error) {
		await client.end().catch(() => undefined);
		await lock.release();
		throw error;
	}

	let activity: DbActivity | undefined;
	const listeners = new Set<(a: DbActivity) => void>();
	const activityFile = path.join(options.stateDir, 'activity.json');
	const startPoller = (): ActivityPoller =>
		startActivityPoller(target, (a) => {
			activity = a;
			try {
				writeFileSync(`${activityFile}.tmp`, JSON.stringify(a), {mode: 0o600});
				renameSync(`${activityFile}.tmp`, activityFile);
			} catch {
				// the pane is a convenience; the journal is what matters
			}
			for (const l of listeners) l(a);
		});
	let poller = startPoller();
	// The three sessions end at once: none waits for another's goodbye (the lock goes with its connection in any case).
	const close = async () => {
		await Promise.all([poller.stop(), client.end().catch(() => undefined), lock.release()]);
	};
	return {
		client: () => client,
		activity: () => activity,
		subscribeActivity: (listener) => {
			listeners.add(listener);
			return () => void listeners.delete(listener);
		},
		suspend: async () => {
			await close();
			return async () => {
				({lock, client} = await connectSession(target, planId));
				await ensureLedger(client);
				poller = startPoller();
			};
		},
		close,
	};
}
