/**
 * State on disk: the journal is the truth, the conf snapshot a cache. A torn
 * journal tail, a corrupt snapshot and a snapshot behind the journal are all
 * detected, explained and repaired from the journal; a corrupt journal line is
 * refused with its line number. Secrets never reach the disk.
 */
import {describe, expect, it} from 'vitest';
import {appendFileSync, readFileSync, writeFileSync, existsSync} from 'node:fs';
import path from 'node:path';
import {StateStore, readJournal, readState} from '../../source/state/store.js';
import {replay} from '../../source/state/reduce.js';
import {tempDir} from '../helpers/cli.js';
import type {EngineEventInput} from '../../source/state/types.js';

const started: EngineEventInput = {type: 'run-started', runId: 'r1', planId: 'p', planTitle: 'Plan', planSha256: 'abc', target: 'u@h:5432/db', resumed: false, pid: 1, host: 'h', mode: 'yes'};
const evidence = {startedAt: '2026-01-01T00:00:00.000Z', endedAt: '2026-01-01T00:00:01.000Z', durationMs: 1000};

function freshStore(secrets: string[] = []): {dir: string; store: StateStore; repairs: string[]} {
	const dir = tempDir('state');
	const repairs: string[] = [];
	const store = StateStore.open({dir, secrets, onRepair: (m) => repairs.push(m)});
	return {dir, store, repairs};
}

describe('state store', () => {
	it('folds events into the snapshot and journals each one with a sequence number', () => {
		const {dir, store} = freshStore();
		store.append(started);
		store.append({type: 'item-started', itemId: 'a', attempt: 1, executionId: 'e1'});
		store.append({type: 'item-passed', itemId: 'a', evidence});
		store.close();
		const snapshot = JSON.parse(readFileSync(path.join(dir, 'state.json'), 'utf8')) as {lastSeq: number; items: Record<string, {status: string}>};
		expect(snapshot.lastSeq).toBe(3);
		expect(snapshot.items['a']!.status).toBe('passed');
		expect(readJournal(dir).events.map((e) => [e.seq, e.type])).toEqual([[1, 'run-started'], [2, 'item-started'], [3, 'item-passed']]);
	});

	it('cuts off a torn last journal line, says so, and keeps every complete event', () => {
		const {dir, store} = freshStore();
		store.append(started);
		store.append({type: 'item-started', itemId: 'a', attempt: 1, executionId: 'e1'});
		store.close();
		appendFileSync(path.join(dir, 'journal.jsonl'), '{"type":"item-passed","itemId":"a","ev');
		const repairs: string[] = [];
		const reopened = StateStore.open({dir, secrets: [], onRepair: (m) => repairs.push(m)});
		expect(repairs.join('\n')).toMatch(/torn line .* cut off at byte \d+/);
		expect(reopened.current.items['a']!.status).toBe('running');
		reopened.append({type: 'item-passed', itemId: 'a', evidence});
		reopened.close();
		expect(readJournal(dir).events.map((e) => e.type)).toEqual(['run-started', 'item-started', 'item-passed']);
	});

	it('with deferRepair, leaves a torn line on disk until repair() or the first append, which cuts it before writing', () => {
		const {dir, store} = freshStore();
		store.append(started);
		store.close();
		const journal = path.join(dir, 'journal.jsonl');
		appendFileSync(journal, '{"type":"note","te');
		const torn = readFileSync(journal);
		const repairs: string[] = [];
		const reopened = StateStore.open({dir, secrets: [], onRepair: (m) => repairs.push(m), deferRepair: true});
		expect(readFileSync(journal).equals(torn)).toBe(true);
		expect(repairs.filter((m) => /torn line/.test(m))).toEqual([]);
		reopened.append({type: 'note', text: 'after the cut', by: 'test'});
		reopened.close();
		expect(repairs.filter((m) => /torn line/.test(m))).toHaveLength(1);
		expect(readJournal(dir).events.map((e) => e.type)).toEqual(['run-started', 'note']);
		expect(readFileSync(journal, 'utf8')).not.toContain('"te{');
	});

	it('rebuilds a corrupt snapshot from the journal and keeps the corrupt file aside', () => {
		const {dir, store} = freshStore();
		store.append(started);
		store.append({type: 'item-started', itemId: 'a', attempt: 1, executionId: 'e1'});
		store.append({type: 'item-passed', itemId: 'a', evidence});
		store.close();
		writeFileSync(path.join(dir, 'state.json'), '{"version":1,"items":{"a":{"sta');
		const repairs: string[] = [];
		const reopened = StateStore.open({dir, secrets: [], onRepair: (m) => repairs.push(m)});
		expect(repairs.join('\n')).toMatch(/snapshot .* is corrupt or truncated .* moved to .*state\.json\.corrupt-\d+ and rebuilt from the journal/);
		expect(reopened.current.items['a']!.status).toBe('passed');
		expect(reopened.current.lastSeq).toBe(3);
		reopened.close();
		expect(JSON.parse(readFileSync(path.join(dir, 'state.json'), 'utf8')).lastSeq).toBe(3);
	});

	it('catches a snapshot that is behind the journal up from the journal written after it (killed between the two writes)', () => {
		const {dir, store} = freshStore();
		store.append(started);
		store.close();
		const stale = readFileSync(path.join(dir, 'state.json'), 'utf8');
		const again = StateStore.open({dir, secrets: []});
		again.append({type: 'item-started', itemId: 'a', attempt: 1, executionId: 'e1'});
		again.close();
		writeFileSync(path.join(dir, 'state.json'), stale);
		const reopened = StateStore.open({dir, secrets: []});
		expect(reopened.current.lastSeq).toBe(2);
		expect(reopened.current.items['a']!.status).toBe('running');
		reopened.close();
	});

	it('refuses a journal with a corrupt line in the middle, naming the line and what to do', () => {
		const {dir, store} = freshStore();
		store.append(started);
		store.close();
		appendFileSync(path.join(dir, 'journal.jsonl'), 'garbage that is not json\n{"seq":3,"type":"note","text":"x","at":"2026-01-01T00:00:00Z"}\n');
		expect(() => StateStore.open({dir, secrets: []})).toThrow(/The journal .* is corrupt at line 2 .* runbook will not guess/s);
	});

	it('writes no secret to the journal or the snapshot, even inside event text', () => {
		const secret = 'S3cr3t-Pa55-word';
		const {dir, store} = freshStore([secret]);
		store.append(started);
		store.append({type: 'output', itemId: 'a', stream: 'stderr', line: `connecting to postgres://app:${secret}@db/x failed for ${secret}`});
		store.append({type: 'note', text: `the password is ${secret}`});
		store.close();
		for (const file of ['journal.jsonl', 'state.json']) {
			const text = readFileSync(path.join(dir, file), 'utf8');
			expect(text).not.toContain(secret);
			expect(text).toContain('****');
		}
	});

	it('keeps every journal line valid JSON when a masked text ends a string, and masks a secret that JSON would escape', () => {
		const secret = 'pa"ss\\word';
		const {dir, store} = freshStore([secret]);
		store.append(started);
		store.append({type: 'note', text: 'probe used password = x'});
		store.append({type: 'note', text: `dsn host=db ?password=abc and ${secret}`});
		store.close();
		const lines = readFileSync(path.join(dir, 'journal.jsonl'), 'utf8').trim().split('\n');
		const notes = lines.map((l) => JSON.parse(l) as {type: string; text?: string}).filter((e) => e.type === 'note');
		expect(notes.map((e) => e.text)).toEqual(['probe used password = ****', 'dsn host=db ?password=**** and ****']);
		const reopened = StateStore.open({dir, secrets: []});
		expect(reopened.current.lastSeq).toBe(3);
		reopened.close();
	});

	it('reads a state directory without writing to it (watch and status)', () => {
		const {dir, store} = freshStore();
		store.append(started);
		store.close();
		const before = readFileSync(path.join(dir, 'journal.jsonl'), 'utf8');
		const {state} = readState(dir);
		expect(state.runId).toBe('r1');
		expect(readFileSync(path.join(dir, 'journal.jsonl'), 'utf8')).toBe(before);
		expect(existsSync(path.join(dir, 'activity.json'))).toBe(false);
	});

	it('bounds what output a single attempt writes to the journal', () => {
		const {dir, store} = freshStore();
		store.append(started);
		store.append({type: 'item-started', itemId: 'a', attempt: 1, executionId: 'e1'});
		for (let i = 0; i < 5000; i++) store.appendOutput('a', 'stdout', `line ${i}`);
		store.close();
		const outputs = readJournal(dir).events.filter((e) => e.type === 'output');
		expect(outputs).toHaveLength(401);
		expect(outputs.at(-1)).toMatchObject({stream: 'info', line: expect.stringMatching(/only the first 400 lines are journaled/)});
		expect(store.current.items['a']!.liveTail).toEqual(Array.from({length: 12}, (_, i) => `line ${4988 + i}`));
	});

	it('differs from a replay of its journal only in the live tail of output past the journaled lines, as reduce.ts says', () => {
		const {dir, store} = freshStore();
		const heard: Array<{type: string; seq: number; message?: string}> = [];
		store.subscribe((event) => heard.push({type: event.type, seq: event.seq, ...(event.type === 'progress' ? {message: event.message} : {})}));
		store.append(started);
		store.append({type: 'item-started', itemId: 'a', attempt: 1, executionId: 'e1'});
		for (let i = 0; i < 450; i++) store.appendOutput('a', 'stdout', `line ${i}`);
		store.append({type: 'item-passed', itemId: 'a', evidence});
		const live = store.current;
		store.close();
		const replayed = replay(readJournal(dir).events);
		// The process (and the snapshot written from it) shows the last lines; the journal stops after line 399.
		expect(live.items['a']!.liveTail!.at(-1)).toBe('line 449');
		expect(replayed.items['a']!.liveTail!.at(-1)).toMatch(/only the first 400 lines are journaled/);
		expect(readState(dir).state.items['a']!.liveTail!.at(-1)).toBe('line 449');
		const withoutTail = (state: typeof live) => ({...state, items: Object.fromEntries(Object.entries(state.items).map(([id, item]) => [id, {...item, liveTail: []}]))});
		expect(withoutTail(replayed)).toEqual(withoutTail(live));
		// The listeners heard of the unjournaled lines through a progress event that repeats the last seq and is not in the journal.
		const progress = heard.find((e) => e.type === 'progress');
		expect(progress).toMatchObject({message: '450 lines of output so far'});
		expect(progress!.seq).toBe(heard[heard.indexOf(progress!) - 1]!.seq);
		expect(readJournal(dir).events.some((e) => e.type === 'progress')).toBe(false);
	});
});
