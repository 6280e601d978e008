import {afterEach, describe, expect, it} from 'vitest';
import {cleanup, render} from 'ink-testing-library';
import {App} from '../../source/ui/App.js';
import type {DbActivity} from '../../source/db/activity.js';
import {dbLines} from '../../source/ui/db-lines.js';
import {glyphsFor} from '../../source/ui/glyphs.js';
import {RecordingController, T_START, at, runState} from '../helpers/ui-fixtures.js';
import {waitForText} from '../helpers/ink.js';

afterEach(() => cleanup());

const lockWait: DbActivity = {
	at: at(30),
	connected: true,
	serverVersion: '15.18',
	sessions: {total: 6, active: 2, idleInTransaction: 1, waiting: 1},
	longestTransaction: {pid: 311, seconds: 95, state: 'idle in transaction', query: 'select * from platform.projects for update', user: 'app', application: 'psql'},
	lockWaits: [
		{
			pid: 512,
			seconds: 12,
			query: 'ALTER TABLE platform.projects ENABLE ROW LEVEL SECURITY',
			application: 'runbook',
			blockedBy: [{pid: 311, query: 'select * from platform.projects for update', state: 'idle in transaction', transactionSeconds: 95, application: 'psql'}],
		},
	],
};

describe('database pane', () => {
	it('shows a lock wait with the blocking pid and its query at 80 columns', async () => {
		const controller = new RecordingController(runState(), {activity: lockWait});
		const rendered = render(<App controller={controller} columns={80} rows={24} now={() => T_START} />);
		await waitForText(rendered, 'LOCK WAIT pid 512 12s ALTER TABLE platform.projects ENABLE ROW LEVEL SECURITY b…');
		await waitForText(rendered, 'DB PostgreSQL 15.18 · sessions 6: 2 active, 1 idle in tx, 1 waiting · longest t…');
	});

	it('gives a tall pane one fact a line and lists each blocker with its state, transaction age and query', () => {
		const lines = dbLines({activity: lockWait, width: 110, height: 8, glyphs: glyphsFor(false)}).map((l) => l.text);
		expect(lines).toEqual([
			'DB PostgreSQL 15.18',
			'sessions 6: 2 active, 1 idle in tx, 1 waiting',
			'longest tx 1m35s (pid 311, idle in transaction): select * from platform.projects for update',
			'LOCK WAIT pid 512 waiting 12s: ALTER TABLE platform.projects ENABLE ROW LEVEL SECURITY',
			'  └ blocked by pid 311 (idle in transaction, tx 1m35s, psql): select * from platform.projects for update',
		]);
	});

	it('follows new activity pushed by the controller', async () => {
		const controller = new RecordingController(runState(), {activity: {at: at(0), connected: true, serverVersion: '15.18', sessions: {total: 1, active: 1, idleInTransaction: 0, waiting: 0}, lockWaits: []}});
		const rendered = render(<App controller={controller} columns={80} rows={24} now={() => T_START} />);
		await waitForText(rendered, 'no lock waits');
		controller.setActivity(lockWait);
		await waitForText(rendered, 'LOCK WAIT pid 512');
	});

	it('says so when the database is not connected', async () => {
		const controller = new RecordingController(runState(), {activity: {at: at(0), connected: false, error: 'connection refused', lockWaits: []}});
		const rendered = render(<App controller={controller} columns={80} rows={24} now={() => T_START} />);
		await waitForText(rendered, 'DB: NOT CONNECTED → connection refused');
	});
});
