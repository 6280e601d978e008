import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {cleanup, render} from 'ink-testing-library';
import {App} from '../../source/ui/App.js';
import {StateStore} from '../../source/state/store.js';
import {createWatchSource, type WatchSource} from '../../source/ui/watch-source.js';
import type {RunSnapshot} from '../../source/ui/run-snapshot.js';
import {T_START, testPlan} from '../helpers/ui-fixtures.js';
import {frame, keys, waitFor, waitForText} from '../helpers/ink.js';

const plan = testPlan();
let dir: string;
let store: StateStore;
let source: WatchSource;

beforeAll(() => {
	dir = mkdtempSync(path.join(tmpdir(), 'runbook-watch-'));
	store = StateStore.open({dir, secrets: []});
	store.append({type: 'run-started', runId: 'r1', planId: plan.plan.id, planTitle: plan.plan.title, planSha256: plan.sha256, target: 'app@db.example:5432/prod', resumed: false, pid: 1, host: 'ops-1', mode: 'interactive'});
	store.append({type: 'item-started', itemId: 'pre.backup', attempt: 1, executionId: 'e1'});
	source = createWatchSource(dir, plan, {intervalMs: 100});
});

afterAll(() => {
	source.close();
	store.close();
	rmSync(dir, {recursive: true, force: true});
});

afterEach(() => cleanup());

function nextSnapshot(watch: WatchSource, condition: (snapshot: RunSnapshot) => boolean): Promise<RunSnapshot> {
	return new Promise((resolve) => {
		const off = watch.subscribe((snapshot) => {
			if (condition(snapshot)) {
				off();
				resolve(snapshot);
			}
		});
	});
}

describe('watch source', () => {
	it('reads the state another process journaled', () => {
		expect(source.current().state.items['pre.backup']?.status).toBe('running');
	});

	it('reports a newly journaled event to its listeners', async () => {
		const seen = nextSnapshot(source, (s) => s.state.items['pre.backup']?.status === 'passed');
		store.append({type: 'item-passed', itemId: 'pre.backup', evidence: {startedAt: new Date().toISOString(), endedAt: new Date().toISOString(), durationMs: 1500, exitCode: 0}});
		const snapshot = await seen;
		expect(snapshot.state.items['pre.backup']?.evidence?.durationMs).toBe(1500);
	});

	it('reports a new activity.json, and keeps the last one when the file is half-written', async () => {
		const seen = nextSnapshot(source, (s) => s.activity?.serverVersion === '15.18');
		writeFileSync(path.join(dir, 'activity.json'), JSON.stringify({at: new Date().toISOString(), connected: true, serverVersion: '15.18', lockWaits: []}));
		await seen;
		writeFileSync(path.join(dir, 'activity.json'), '{"at": "2025-');
		const later = nextSnapshot(source, (s) => s.state.notes.length === 1);
		store.append({type: 'note', text: 'after the torn activity'});
		expect((await later).activity?.serverVersion).toBe('15.18');
	});
});

describe('App in watch mode', () => {
	it('shows the read-only banner and follows progress written by the engine', async () => {
		const rendered = render(<App watch={source} columns={80} rows={24} now={() => T_START} />);
		// At 80 columns the banner and the target stay whole; the title gives way.
		await waitForText(rendered, '[read-only view (watch)] Migration 00… · app@db.example:5432/prod');
		const before = frame(rendered).match(/progress (\d+)\/6/)?.[1];
		store.append({type: 'item-started', itemId: 'pre.railway', attempt: 1, executionId: 'e2'});
		store.append({type: 'item-skipped', itemId: 'pre.railway', reason: 'checked by phone', by: 'operator'});
		await waitForText(rendered, `progress ${Number(before) + 1}/6`);
		expect(frame(rendered)).toContain('↷ Railway services running');
	});

	it('ignores action keys: no prompt, no menu, no quit question', async () => {
		const rendered = render(<App watch={source} columns={80} rows={24} now={() => T_START} />);
		await waitForText(rendered, 'read-only view (watch) · up/down select');
		for (const key of ['s', 'n', 'b', 'r', keys.enter]) rendered.stdin.write(key);
		rendered.stdin.write('j');
		const text = await waitFor(rendered, (f) => f.includes('›'));
		expect(text).not.toContain('Reason for skipping');
		expect(text).not.toContain('Note for the journal');
		expect(text).not.toContain('Rollback levels');
		expect(text).not.toContain('Quit now?');
	});
});
