import {afterEach, describe, expect, it} from 'vitest';
import {cleanup, render} from 'ink-testing-library';
import {App} from '../../source/ui/App.js';
import type {RunState} from '../../source/state/types.js';
import {RecordingController, T_START, at, passed, runState} from '../helpers/ui-fixtures.js';
import {frame, waitForText} from '../helpers/ink.js';

afterEach(() => cleanup());

const now = () => T_START + 30 * 60_000;

/** One item in each of the six statuses. */
function everyStatus(): RunState {
	return runState({
		currentItem: 'step1.apply',
		items: {
			'pre.backup': passed(0, 600_000),
			'pre.railway': {status: 'skipped', attempts: 0, skipReason: 'by phone'},
			'pre.connect': {status: 'failed', attempts: 1, startedAt: at(11), endedAt: at(11), error: 'timeout', evidence: {startedAt: at(11), endedAt: at(11), durationMs: 5000}},
			'gate.go': {status: 'waiting', attempts: 1, startedAt: at(29)},
			'step1.apply': {status: 'running', attempts: 1, startedAt: at(29.5)},
		},
	});
}

function itemLines(text: string): string[] {
	return text.split('\n').map((l) => l.split('│')[0]!.split('|')[0]!.trimEnd());
}

describe('checklist pane', () => {
	it('shows a distinct Unicode mark for every status, with durations', async () => {
		const rendered = render(<App controller={new RecordingController(everyStatus())} columns={80} rows={24} now={now} />);
		await waitForText(rendered, 'Verify 8 indexes');
		const lines = itemLines(frame(rendered));
		expect(lines).toContain(' ✓ Full backup            10m00s');
		expect(lines).toContain(' ↷ Railway services running (sk…');
		expect(lines).toContain(' ✗ Connection stable          5s');
		expect(lines).toContain(' ⏸ Final GO/NO-GO decision 1m00s');
		expect(lines).toContain('›▶ Apply 006                 30s');
		expect(lines).toContain(' ○ Verify 8 indexes');
	});

	it('shows bracketed ASCII marks in ASCII mode', async () => {
		const rendered = render(<App controller={new RecordingController(everyStatus())} columns={80} rows={24} now={now} ascii />);
		await waitForText(rendered, 'Verify 8 indexes');
		const lines = itemLines(frame(rendered));
		expect(lines).toContain(' [x] Full backup          10m00s');
		expect(lines).toContain(' [-] Railway services running...');
		expect(lines).toContain(' [!] Connection stable        5s');
		expect(lines).toContain(' [?] Final GO/NO-GO dec... 1m00s');
		expect(lines).toContain('>[>] Apply 006               30s');
		expect(lines).toContain(' [ ] Verify 8 indexes');
	});

	it('moves the selection with the arrow keys and shows the selected item in the detail pane', async () => {
		const rendered = render(<App controller={new RecordingController(everyStatus())} columns={80} rows={24} now={now} />);
		await waitForText(rendered, '›▶ Apply 006');
		rendered.stdin.write('\u001B[B');
		const text = await waitForText(rendered, '›○ Verify 8 indexes');
		expect(text).toContain('step1.verify · query · pending');
	});
});
