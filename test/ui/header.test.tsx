import {afterEach, describe, expect, it} from 'vitest';
import {cleanup, render} from 'ink-testing-library';
import {App} from '../../source/app.js';
import {RecordingController, T_START, at, passed, runState} from './fixtures.js';
import {frame, waitForText} from './ink-helpers.js';

afterEach(() => cleanup());

const now = () => T_START + 12 * 60_000;

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
});
