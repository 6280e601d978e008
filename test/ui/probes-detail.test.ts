/** The detail pane (and so watch) of a probes item: the counts, then one line per probe with what it was compared with. */
import {describe, expect, it} from 'vitest';
import {loadPlan} from '../../source/plan/load.js';
import {ACTION_NAMES} from '../../source/plan/actions.js';
import {detailLines} from '../../source/ui/detail-lines.js';
import {glyphsFor} from '../../source/ui/glyphs.js';
import {PLAN} from '../helpers/cli.js';
import {runState, at, passed} from '../helpers/ui-fixtures.js';
import type {ProbeStageRun} from '../../source/probes/types.js';

const plan = loadPlan(PLAN, {actions: ACTION_NAMES});

const before: ProbeStageRun = {
	itemId: 'ready.probes-before',
	at: at(0),
	role: 'runbook_app',
	rls: 'RLS applies',
	results: [{probeId: 'probe.organizations.list', outcome: 'ok', columns: ['id', 'name'], rows: 3, params: [], durationMs: 2}],
	verdicts: [{probeId: 'probe.organizations.list', ok: true, readiness: false, problems: []}],
	notYet: ['probe.databases.create'],
};
const after: ProbeStageRun = {
	itemId: 'step2.probes',
	after: 'step2.apply',
	at: at(5),
	role: 'runbook_app',
	rls: 'RLS applies',
	results: [
		{probeId: 'probe.organizations.list', outcome: 'ok', columns: ['id', 'name'], rows: 0, params: [], durationMs: 2},
		{probeId: 'probe.databases.create', outcome: 'ok', columns: ['id'], rows: 1, params: [], durationMs: 2},
	],
	verdicts: [
		{probeId: 'probe.organizations.list', ok: false, readiness: false, reference: {itemId: 'ready.probes-before', rows: 3, columns: ['id', 'name']}, problems: ['returns 0 rows where it returned 3']},
		{probeId: 'probe.databases.create', ok: true, readiness: false, problems: []},
	],
	notYet: [],
};

describe('the detail pane of a probes item', () => {
	it('counts the probes and shows the one that changed with what it was compared with', () => {
		const state = runState({items: {'step2.probes': {...passed(5, 400), status: 'failed'}}, data: {probes: {runs: [before, after]}}});
		const lines = detailLines({plan, entry: plan.byId.get('step2.probes'), state, width: 200, height: 40, glyphs: glyphsFor(false), now: Date.parse(at(6))}).map((l) => l.text);
		expect(lines).toEqual(
			expect.arrayContaining([
				`Probes: ${plan.plan.probes.length} probes as runbook_app (RLS applies): 2 ran, 1 unchanged, 1 changed`,
				'  ✗ probe.organizations.list  read 0 rows, 2 columns (ready.probes-before: 3 rows, 2 columns) — returns 0 rows where it returned 3',
				'  ✓ probe.databases.create  write 1 row, 1 column (first run)',
			]),
		);
	});

	it('says the probes have not run yet before the item ran', () => {
		const lines = detailLines({plan, entry: plan.byId.get('step1.probes'), state: runState(), width: 200, height: 40, glyphs: glyphsFor(false), now: Date.parse(at(1))}).map((l) => l.text);
		expect(lines).toContain(`Probes: ${plan.plan.probes.length} in the plan; not run yet`);
	});
});
