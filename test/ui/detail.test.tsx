import {afterEach, describe, expect, it} from 'vitest';
import {cleanup, render} from 'ink-testing-library';
import {App} from '../../source/ui/App.js';
import {RecordingController, T_START, at, passed, runState} from '../helpers/ui-fixtures.js';
import {frame, waitForText} from '../helpers/ink.js';

afterEach(() => cleanup());

const now = () => T_START + 31 * 60_000;

function detailColumn(text: string): string[] {
	return text.split('\n').map((l) => (l.includes('│') ? l.slice(l.indexOf('│') + 2) : '')).filter(Boolean);
}

describe('detail pane', () => {
	it('shows the masked command, expected vs actual and the output tail of a finished item', async () => {
		const evidence = {
			startedAt: at(30),
			endedAt: at(30.1),
			durationMs: 6000,
			exitCode: 0,
			command: "psql postgres://app:hunter22@db:5432/prod -c 'select count(*) from pg_indexes'",
			expected: 'n = 8',
			actual: 'n = 8',
			outputTail: ['count', '-------', '     8', '(1 row)'],
		};
		const state = runState({items: {'step1.verify': {...passed(30, 6000), evidence}}});
		const rendered = render(<App controller={new RecordingController(state)} columns={80} rows={24} now={now} />);
		// Select step1.verify (the last item).
		for (let i = 0; i < 6; i++) rendered.stdin.write('j');
		await waitForText(rendered, 'step1.verify · query · passed');
		const detail = detailColumn(frame(rendered));
		expect(detail).toEqual([
			'✓ Verify 8 indexes',
			'step1.verify · query · passed · 6s · exit 0',
			'$ psql postgres://app:****@db:5432/prod -c',
			"'select count(*) from pg_indexes'",
			'Expected: n = 8',
			'Actual:   n = 8',
			'Output (last lines):',
			'  count',
			'  -------',
			'       8',
			'  (1 row)',
		]);
	});

	it('shows the live output tail of the running item, newest line last', async () => {
		const tail = Array.from({length: 12}, (_, i) => `pg_dump: dumping table ${i + 1}`);
		const state = runState({currentItem: 'pre.backup', items: {'pre.backup': {status: 'running', attempts: 1, startedAt: at(0), liveTail: tail, progress: '40 MB written'}}});
		const rendered = render(<App controller={new RecordingController(state)} columns={80} rows={24} now={() => T_START + 65_000} />);
		const text = await waitForText(rendered, 'Output (live):');
		const detail = detailColumn(text);
		expect(detail.at(-1)).toBe('  pg_dump: dumping table 12');
		expect(detail).toContain('Progress: 40 MB written');
	});

	it('shows the error and the suggested decision-matrix row of a failed item', async () => {
		const state = runState({
			currentItem: 'step1.apply',
			waiting: {itemId: 'step1.apply', reason: 'failed', prompt: 'step1.apply failed: r retry, s skip, b rollback'},
			items: {'step1.apply': {status: 'failed', attempts: 1, startedAt: at(30), error: 'ERROR: syntax error at or near "TABEL"', matrixRow: 'syntax', evidence: {startedAt: at(30), endedAt: at(30), durationMs: 800, exitCode: 3}}},
		});
		const rendered = render(<App controller={new RecordingController(state)} columns={100} rows={24} now={now} />);
		const text = await waitForText(rendered, 'Suggested:');
		const detail = detailColumn(text);
		expect(detail.slice(0, 6)).toEqual([
			'✗ Apply 006',
			'step1.apply · sql-file · failed · 800ms · exit 3',
			'Error: ERROR: syntax error at or near "TABEL"',
			'Suggested: [CRITICAL] Migration syntax error → Drop the',
			'databases table → rollback level 2 (b)',
			'step1.apply failed: r retry, s skip, b rollback',
		]);
	});
});
