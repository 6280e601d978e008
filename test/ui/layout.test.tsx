import {afterEach, describe, expect, it} from 'vitest';
import {cleanup, render} from 'ink-testing-library';
import {App} from '../../source/ui/App.js';
import type {DbActivity} from '../../source/db/activity.js';
import type {RunState} from '../../source/state/types.js';
import {RecordingController, T_START, at, gateWaiting, passed, runState} from '../helpers/ui-fixtures.js';
import {frame, waitFor, waitForText} from '../helpers/ink.js';
import stringWidth from 'string-width';

afterEach(() => cleanup());

const now = () => T_START + 31 * 60_000;
const long = 'x'.repeat(300);
const activity: DbActivity = {
	at: at(31),
	connected: true,
	serverVersion: '15.18',
	sessions: {total: 60, active: 20, idleInTransaction: 10, waiting: 9},
	lockWaits: Array.from({length: 5}, (_, i) => ({pid: 500 + i, seconds: 10, query: `ALTER TABLE ${long}`, application: 'runbook', blockedBy: [{pid: 300 + i, query: `select ${long}`, state: 'idle in transaction', transactionSeconds: 90, application: 'psql'}]})),
};

const states: Array<[string, RunState]> = [
	['at the gate', runState({currentItem: 'gate.go', waiting: gateWaiting, items: {'pre.backup': passed(0, 600_000), 'gate.go': {status: 'waiting', attempts: 1, startedAt: at(25)}}})],
	[
		'a running item with long output',
		runState({currentItem: 'step1.apply', items: {'step1.apply': {status: 'running', attempts: 1, startedAt: at(30), liveTail: Array.from({length: 12}, (_, i) => `${i} ${long}`), progress: long}}}),
	],
	['a failed item with a long error', runState({currentItem: 'step1.apply', waiting: {itemId: 'step1.apply', reason: 'failed', prompt: long}, items: {'step1.apply': {status: 'failed', attempts: 2, error: long, matrixRow: 'syntax', startedAt: at(30)}}})],
];

describe('80×24 frame', () => {
	for (const [name, state] of states) {
		for (const ascii of [false, true]) {
			it(`fits 80 columns and 24 lines ${name}${ascii ? ' in ASCII' : ''}`, async () => {
				const rendered = render(<App controller={new RecordingController(state, {activity})} columns={80} rows={24} now={now} ascii={ascii} />);
				const text = await waitForText(rendered, 'progress');
				const lines = text.split('\n');
				expect(lines.length).toBeLessThanOrEqual(24);
				expect(lines.filter((l) => [...l].length > 80)).toEqual([]);
			});
		}
	}

	it('fits with the rollback menu and the help overlay open', async () => {
		const rendered = render(<App controller={new RecordingController(states[2]![1], {activity})} columns={80} rows={24} now={now} />);
		await waitForText(rendered, 'b rollback');
		rendered.stdin.write('b');
		let text = await waitForText(rendered, 'Rollback levels');
		expect(text.split('\n').length).toBeLessThanOrEqual(24);
		expect(text.split('\n').filter((l) => [...l].length > 80)).toEqual([]);
		rendered.stdin.write('\u001B');
		await waitFor(rendered, (f) => !f.includes('Rollback levels'));
		rendered.stdin.write('?');
		text = await waitForText(rendered, 'No single key does anything irreversible.');
		expect(text.split('\n').length).toBeLessThanOrEqual(24);
		expect(text.split('\n').filter((l) => [...l].length > 80)).toEqual([]);
	});

	it('stacks the checklist above the detail on a 60-column terminal', async () => {
		const rendered = render(<App controller={new RecordingController(states[0]![1])} columns={60} rows={24} now={now} />);
		await waitForText(rendered, 'progress');
		const lines = frame(rendered).split('\n');
		const checklistRow = lines.findIndex((l) => l.startsWith('›⏸ Final GO/NO-GO decision'));
		const detailRow = lines.findIndex((l) => l.startsWith('gate.go · gate · waiting'));
		expect(checklistRow).toBeGreaterThan(0);
		expect(detailRow).toBeGreaterThan(checklistRow);
		expect(lines.filter((l) => [...l].length > 60)).toEqual([]);
	});
});

describe('120×40 frame', () => {
	it('keeps wide and over-long text inside its pane: every separator stays in its column', async () => {
		// The panes are not clipped by Ink (a clip cost a third of each frame): each line is cut by its own Text.
		const wide = '数据库迁移 🚀 '.repeat(30);
		const state = runState({currentItem: 'step1.apply', items: {'step1.apply': {status: 'running', attempts: 1, startedAt: at(30), liveTail: Array.from({length: 12}, (_, i) => `${i} ${wide}`), progress: wide}}});
		const wideActivity: DbActivity = {...activity, lockWaits: activity.lockWaits.map((w) => ({...w, query: `ALTER TABLE ${wide}`}))};
		const rendered = render(<App controller={new RecordingController(state, {activity: wideActivity})} columns={120} rows={40} now={now} />);
		const text = await waitForText(rendered, 'progress');
		const lines = text.split('\n');
		expect(lines.length).toBeLessThanOrEqual(40);
		expect(lines.filter((l) => stringWidth(l) > 120)).toEqual([]);
		// The body rows and the database/timeline rows each have one vertical separator, at one column per block.
		const columns = new Set(lines.filter((l) => l.includes('│')).map((l) => stringWidth(l.slice(0, l.indexOf('│')))));
		expect(columns.size).toBeLessThanOrEqual(2);
		expect(lines.filter((l) => l.includes('│')).length).toBeGreaterThan(20);
	});
});
