/** The probe verdict rules, on results of the shape runProbe records (pure: no database needed). */
import {describe, expect, it} from 'vitest';
import {verdictFor} from '../../source/probes/compare.js';
import type {Probe} from '../../source/plan/schema.js';
import type {ProbeResult, ProbeStageRun} from '../../source/probes/types.js';

const probe: Probe = {id: 'probe.x', title: 'X', access: 'read', sql: 'SELECT * FROM platform.x WHERE id = $1', params: [{from: 'SELECT 1'}], nonNull: ['url']};
const result = (over: Partial<ProbeResult> = {}): ProbeResult => ({probeId: 'probe.x', outcome: 'ok', columns: ['id', 'url'], rows: 2, params: [], durationMs: 1, ...over});
const stage = (itemId: string, r: ProbeResult, ok = true): ProbeStageRun => ({itemId, at: '', role: 'app', rls: 'RLS applies', results: [r], verdicts: [{probeId: r.probeId, ok, readiness: false, problems: ok ? [] : ['x']}], notYet: []});

describe('verdictFor', () => {
	it('passes the same shape, and names the run it compared with', () => {
		expect(verdictFor(probe, result(), [stage('before', result())])).toEqual({probeId: 'probe.x', ok: true, readiness: false, reference: {itemId: 'before', rows: 2, columns: ['id', 'url']}, problems: []});
	});

	it('fails zero rows where there were rows (RLS filtering returns empty results, not errors)', () => {
		expect(verdictFor(probe, result({rows: 0}), [stage('before', result())]).problems).toEqual(['returns 0 rows where it returned 2']);
	});

	it('passes zero rows then and now: an empty table is no change', () => {
		expect(verdictFor(probe, result({rows: 0}), [stage('before', result({rows: 0}))]).ok).toBe(true);
	});

	it('fails another column set, naming what went and what came', () => {
		expect(verdictFor(probe, result({columns: ['id', 'url2']}), [stage('before', result())]).problems).toEqual(["the application's column url missing from the result", 'returns another column set (no longer url; new url2)']);
	});

	it('fails an error with its SQLSTATE and message', () => {
		expect(verdictFor(probe, result({outcome: 'error', columns: [], rows: 0, sqlstate: '42501', message: 'permission denied for table x'}), [stage('before', result())]).problems).toEqual(['now fails with SQLSTATE 42501: permission denied for table x']);
	});

	it('fails a NULL where the application uses the value, even on the first run', () => {
		expect(verdictFor(probe, result({nullIn: ['url']}), []).problems).toEqual(['url NULL in a returned row (the application would get NULL)']);
	});

	it('compares with the last GOOD run, not with a run that already failed', () => {
		const verdict = verdictFor(probe, result({rows: 0}), [stage('before', result()), stage('step1', result({rows: 0}), false)]);
		expect([verdict.reference?.itemId, verdict.problems]).toEqual(['before', ['returns 0 rows where it returned 2']]);
	});

	it('passes a not-measured probe (a required parameter found no row)', () => {
		expect(verdictFor(probe, result({outcome: 'not-measured', columns: [], rows: 0, reason: 'no row'}), [stage('before', result())]).ok).toBe(true);
	});

	it('never fails a readiness probe, but records its problem', () => {
		const readiness: Probe = {...probe, readinessFor: 'sql/pending/008.sql'};
		expect(verdictFor(readiness, result({outcome: 'error', columns: [], rows: 0, sqlstate: '42501', message: 'denied'}), [])).toEqual({probeId: 'probe.x', ok: true, readiness: true, problems: ['now fails with SQLSTATE 42501: denied']});
	});
});
