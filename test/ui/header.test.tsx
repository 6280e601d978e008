import {afterEach, describe, expect, it} from 'vitest';
import {cleanup, render} from 'ink-testing-library';
import {App} from '../../source/ui/App.js';
import {RecordingController, T_START, at, passed, runState, testPlan} from '../helpers/ui-fixtures.js';
import type {WatchSource} from '../../source/ui/watch-source.js';
import type {RunState} from '../../source/state/types.js';
import {frame, waitForText} from '../helpers/ink.js';

afterEach(() => cleanup());

const now = () => T_START + 12 * 60_000;

/** A watch source that holds one state (the watch view's contract; the file-following source has its own tests). */
const watchOf = (state: RunState): WatchSource => ({stateDir: '/tmp/runbook-test-state', plan: testPlan(), current: () => ({state}), subscribe: () => () => undefined, close: () => undefined});

describe('header', () => {
	it('shows the target as user@host:port/db without the password of a URL', async () => {
		const controller = new RecordingController(runState(), {target: 'postgres://app:s3cretPW@db.example:5432/prod'});
		const rendered = render(<App controller={controller} columns={80} rows={24} now={now} />);
		const text = await waitForText(rendered, 'app@db.example:5432/prod');
		expect(text).not.toContain('s3cretPW');
	});

	it('shows progress as done of total forward items', async () => {
		const state = runState({items: {'pre.backup': passed(0, 600_000), 'pre.railway': {status: 'skipped', attempts: 0, skipReason: 'checked by phone'}}});
		const rendered = render(<App controller={new RecordingController(state)} columns={80} rows={24} now={now} />);
		await waitForText(rendered, 'progress 2/6');
	});

	it('shows the T-clock against planned T0 with ahead/behind, the phase and elapsed time', async () => {
		const state = runState({currentItem: 'pre.connect', items: {'pre.backup': passed(0, 600_000), 'pre.railway': passed(10, 60_000), 'pre.connect': {status: 'running', attempts: 1, startedAt: at(11)}}});
		const rendered = render(<App controller={new RecordingController(state)} columns={100} rows={24} now={now} />);
		await waitForText(rendered, 'elapsed 12:00');
		const lines = frame(rendered).split('\n');
		expect(lines[0]).toBe('Migration 006: databases table · app@db.example:5432/prod · phase: Pre-deployment');
		expect(lines[1]).toBe('T-18m (T0 planned) 2m behind · progress 2/6 · elapsed 12:00 · running');
	});

	it('keeps what holds data in sight (the pre-restore copy, with its size) ahead of a long status message', async () => {
		const copy = {id: 'r1', runId: 'run', kind: 'database' as const, name: 'prod_pre_restore_20261201t020000_1a2b3c4d_9f0e', purpose: 'rollback level 3: pre-restore copy', holdsData: true, bytes: 12_900_000, registeredAt: at(5), status: 'open' as const};
		const state = runState({status: 'rolled-back', statusMessage: 'Rollback level 3 (Rollback Step 3 — Restore from the backup (last resort)) completed and verified.', resources: {r1: copy}});
		const rendered = render(<App controller={new RecordingController(state)} columns={170} rows={24} now={now} />);
		const text = await waitForText(rendered, 'KEPT prod_pre_restore_');
		expect(text.split('\n')[1]).toContain('KEPT prod_pre_restore_20261201t020000_1a2b3c4d_9f0e (12.3 MiB): runbook cleanup · rolled-back');
	});

	describe('keeps the target and its source whole at any width', () => {
		const realTitle = 'Database Migration 006 — multi-database support, RLS foundation, Railway registration';
		const target = 'migrator@db-primary.prod.example.com:5432/platform';
		const state = (overrides = {}) => runState({planTitle: realTitle, target, targetSource: 'PG* variables', currentItem: 'pre.connect', items: {'pre.connect': {status: 'running', attempts: 1, startedAt: at(11)}}, ...overrides});
		const firstLine = async (columns: number, options: {watch?: boolean; targetSource?: string} = {}) => {
			const s = state(options.targetSource ? {targetSource: options.targetSource} : {});
			const rendered = options.watch
				? render(<App watch={watchOf(s)} columns={columns} rows={24} now={now} />)
				: render(<App controller={new RecordingController(s, {target})} columns={columns} rows={24} now={now} />);
			await waitForText(rendered, target);
			return frame(rendered).split('\n')[0]!;
		};

		it('at 80 columns the title is shortened, never the target or its source', async () => {
			const first = await firstLine(80);
			expect(first).toContain(`${target} via PG* variables`);
			expect(first).toMatch(/^Database.*… · /);
			expect(first).toContain('…');
			expect([...first].length).toBeLessThanOrEqual(80);
		});

		it('wide, everything is whole: title, target, source and phase', async () => {
			expect(await firstLine(200)).toBe(`${realTitle} · ${target} via PG* variables · phase: Pre-deployment`);
		});

		it('names the service or the sandbox as the source', async () => {
			expect(await firstLine(120, {targetSource: 'service prod'})).toContain(`${target} via service prod`);
			expect(await firstLine(120, {targetSource: 'sandbox'})).toContain(`${target} via sandbox`);
		});

		it('very narrow, the title goes before the target does; watch keeps its banner', async () => {
			const narrow = await firstLine(70);
			expect(narrow).toContain(`${target} via PG* variables`);
			const watch = await firstLine(80, {watch: true});
			expect(watch).toContain(`${target} via PG* variables`);
			expect(watch).toMatch(/^\[read-only/);
		});
	});
});
