import {describe, expect, it} from 'vitest';
import {formatTOffset, parseOffsetMs, runProgress, tClock, timelineRows, timelineT0} from '../../source/state/timeline.js';
import {T_START, at, passed, runState, testPlan} from '../helpers/ui-fixtures.js';

const {plan} = testPlan();

describe('timeline', () => {
	it('parses plan offsets', () => {
		expect([parseOffsetMs('-30m'), parseOffsetMs('+4m'), parseOffsetMs('2s'), parseOffsetMs('1h'), parseOffsetMs('-')]).toEqual([-1_800_000, 240_000, 2000, 3_600_000, Number.NaN]);
	});

	it('formats T offsets with seconds only when needed', () => {
		expect([formatTOffset(-1_800_000), formatTOffset(245_000), formatTOffset(0)]).toEqual(['T-30m', 'T+4m05s', 'T+0m']);
	});

	it('plans T0 as run start + 30 minutes until the +0m row starts', () => {
		expect(timelineT0(plan, runState())).toEqual({t0Ms: T_START + 30 * 60_000, actual: false});
	});

	it('takes T0 from the actual start of the first +0m item', () => {
		const state = runState({items: {'step1.apply': {status: 'running', attempts: 1, startedAt: at(42)}}});
		expect(timelineT0(plan, state)).toEqual({t0Ms: T_START + 42 * 60_000, actual: true});
	});

	it('gives planned vs actual per row with the delta', () => {
		const state = runState({items: {'pre.backup': passed(0, 600_000), 'pre.railway': passed(10, 60_000), 'pre.connect': passed(14, 1000), 'step1.apply': passed(33, 2000)}});
		const rows = timelineRows(plan, state, T_START + 40 * 60_000);
		expect(rows.map((r) => [r.id, r.status, r.actualOffsetMs, r.actualDurationMs, r.deltaMs])).toEqual([
			['backup', 'done', -33 * 60_000, 14 * 60_000 + 1000, -3 * 60_000],
			['decision', 'planned', undefined, undefined, undefined],
			['m1', 'done', 0, 2000, 0],
			['v1', 'planned', undefined, undefined, undefined],
			['complete', 'planned', undefined, undefined, undefined],
		]);
	});

	it('says how far behind the current row is', () => {
		// The backup row (planned T-30m for 10m) is still running 15 minutes in.
		const state = runState({items: {'pre.backup': {status: 'running', attempts: 1, startedAt: at(0)}}});
		const clock = tClock(plan, state, T_START + 15 * 60_000);
		expect([clock.label, clock.currentRowId, clock.scheduleDeltaMs, clock.scheduleLabel]).toEqual(['T-15m', 'backup', 5 * 60_000, '5m behind']);
	});

	it('says ahead when the next row could start before its planned time', () => {
		const state = runState({items: {'pre.backup': passed(0, 120_000), 'pre.railway': passed(2, 1000), 'pre.connect': passed(3, 1000)}});
		const clock = tClock(plan, state, T_START + 5 * 60_000);
		expect([clock.currentRowId, clock.scheduleLabel]).toEqual(['decision', '20m ahead']);
	});

	it('counts progress over the forward path', () => {
		const state = runState({items: {'pre.backup': passed(0, 1000), 'pre.railway': {status: 'skipped', attempts: 0}, 'pre.connect': {status: 'failed', attempts: 1}}});
		expect(runProgress(plan, state)).toEqual({total: 6, done: 2, passed: 1, skipped: 1, failed: 1, running: 0, waiting: 0});
	});
});
