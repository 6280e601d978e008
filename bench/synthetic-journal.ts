/**
 * A journal of exactly `total` valid events for the real plan: every item
 * before the GO gate ran (several attempts, each with the 400 output lines the
 * store journals per attempt, failed, then passed), so `--resume` folds all of
 * it and stops at the gate, waiting for the operator; nothing runs.
 *
 * Beside it, the snapshot (state.json) as the store keeps it, the fold of the
 * journal with the journal's length at that point, written `tail` events
 * before the end: a resume or watch reads the snapshot and folds those last
 * events (a snapshot that lags, as after a crash between the journal's fsync
 * and the snapshot's write). `tail: undefined` writes no snapshot (a lost one):
 * then the whole journal is folded.
 */
import {mkdirSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type {LoadedPlan} from '../source/plan/load.js';
import type {EngineEvent, EngineEventInput} from '../source/state/types.js';
import {JOURNAL, SNAPSHOT} from '../source/state/read.js';
import {replay} from '../source/state/reduce.js';

const LINES_PER_ATTEMPT = 400;

export function writeSyntheticJournal(dir: string, plan: LoadedPlan, target: string, total = 100_000, tail: number | undefined = 1000): number {
	const gateAt = plan.forward.findIndex((e) => e.item.kind === 'gate');
	const items = plan.forward.slice(0, gateAt).map((e) => e.item.id);
	const base = Date.now() - 3_600_000;
	const lines: string[] = [];
	let seq = 0;
	const push = (input: EngineEventInput) => {
		seq += 1;
		const event = {...input, seq, at: new Date(base + seq * 20).toISOString()} as EngineEvent;
		lines.push(JSON.stringify(event));
	};
	push({type: 'run-started', runId: '20250101T020000-bench000', planId: plan.plan.id, planTitle: plan.plan.title, planSha256: plan.sha256, target, resumed: false, pid: process.pid, host: os.hostname(), mode: 'interactive'});
	// Budget per item: 2 fixed events (started, passed) per attempt plus output lines.
	const perItem = Math.floor((total - 1) / items.length);
	let extra = total - 1 - perItem * items.length;
	for (const itemId of items) {
		let budget = perItem + (extra > 0 ? 1 : 0);
		if (extra > 0) extra -= 1;
		let attempt = 0;
		for (;;) {
			attempt += 1;
			const startedSeq = seq;
			// A failed attempt costs 402 events; keep at least 2 (started, passed) for the final one.
			const final = budget < (LINES_PER_ATTEMPT + 2) + 2;
			push({type: 'item-started', itemId, attempt, executionId: `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`});
			const outputs = final ? Math.min(LINES_PER_ATTEMPT, budget - 2) : LINES_PER_ATTEMPT;
			for (let i = 0; i < outputs; i++) push({type: 'output', itemId, stream: 'stdout', line: `${itemId} attempt ${attempt} line ${i + 1}: pg_dump: dumping contents of table "platform.audit_logs" (synthetic)`});
			const progress = final ? budget - 2 - outputs : 0;
			for (let i = 0; i < progress; i++) push({type: 'progress', itemId, message: `synthetic progress ${i + 1}`});
			const evidence = {command: `synthetic ${itemId}`, exitCode: final ? 0 : 1, outputTail: ['synthetic'], expected: 'synthetic', actual: 'synthetic', startedAt: new Date(base + startedSeq * 20).toISOString(), endedAt: new Date(base + seq * 20).toISOString(), durationMs: (seq - startedSeq) * 20};
			if (final) {
				push({type: 'item-passed', itemId, evidence});
				break;
			}
			push({type: 'item-failed', itemId, error: 'synthetic failure, retried', evidence});
			budget -= LINES_PER_ATTEMPT + 2;
		}
	}
	if (lines.length !== total) throw new Error(`bench bug: the synthetic journal has ${lines.length} events, not ${total}`);
	mkdirSync(dir, {recursive: true, mode: 0o700});
	writeFileSync(path.join(dir, JOURNAL), `${lines.join('\n')}\n`, {mode: 0o600});
	if (tail !== undefined) {
		const at = lines.length - tail;
		const state = replay(lines.slice(0, at).map((l) => JSON.parse(l) as EngineEvent));
		const journalBytes = lines.slice(0, at).reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);
		writeFileSync(path.join(dir, SNAPSHOT), JSON.stringify({...state, journalBytes}), {mode: 0o600});
	}
	return lines.length;
}
