/**
 * Every one of the 89 checklist items and Expected lines of the master plan
 * (PLAN-REVIEW §3) maps to an item of runbook/migration-006.yaml, and
 * runbook/COVERAGE.md says exactly the same.
 */
import {describe, expect, it} from 'vitest';
import {readFileSync} from 'node:fs';
import path from 'node:path';
import {loadPlan} from '../../source/plan/load.js';
import {ACTION_NAMES} from '../../source/plan/actions.js';
import type {Item} from '../../source/plan/schema.js';
import {ROOT, PLAN} from '../helpers/cli.js';

const loaded = loadPlan(PLAN, {actions: ACTION_NAMES});

function coverageFromPlan(): Map<number, string[]> {
	const map = new Map<number, string[]>();
	const add = (n: number, id: string) => map.set(n, [...(map.get(n) ?? []), id]);
	const walk = (items: readonly Item[]) => {
		for (const item of items) {
			for (const n of item.covers ?? []) add(n, item.id);
			if (item.kind === 'gate') for (const c of [...item.go, ...item.noGo]) for (const n of c.covers ?? []) add(n, `${item.id}#${c.id}`);
		}
	};
	const plan = loaded.plan;
	plan.phases.forEach((p) => walk(p.items));
	plan.rollback.forEach((l) => walk(l.items));
	plan.monitoring.forEach((p) => walk(p.items));
	return map;
}

function coverageFromTable(): Map<number, {title: string; ids: string[]}> {
	const text = readFileSync(path.join(ROOT, 'runbook', 'COVERAGE.md'), 'utf8');
	const map = new Map<number, {title: string; ids: string[]}>();
	for (const line of text.split('\n')) {
		const m = /^\| (\d+) \| (.*) \| (.*) \|$/.exec(line);
		if (!m) continue;
		map.set(Number(m[1]), {title: m[2]!, ids: [...m[3]!.matchAll(/`([^`]+)`/g)].map((x) => x[1]!)});
	}
	return map;
}

describe('coverage of the master plan', () => {
	const fromPlan = coverageFromPlan();
	const fromTable = coverageFromTable();

	it('maps every one of the 89 items to at least one plan item', () => {
		const missing = Array.from({length: 89}, (_, i) => i + 1).filter((n) => !fromPlan.has(n));
		expect(missing).toEqual([]);
		expect([...fromPlan.keys()].filter((n) => n < 1 || n > 89)).toEqual([]);
	});

	it('COVERAGE.md lists the same items for each number as the plan file', () => {
		expect(fromTable.size).toBe(89);
		for (let n = 1; n <= 89; n++) expect({n, ids: fromTable.get(n)?.ids}).toEqual({n, ids: fromPlan.get(n)});
	});

	it('every ⚠ item is made true by an item that says how it corrects the plan', () => {
		const warned = [...fromTable].filter(([, row]) => row.title.includes('⚠')).map(([n]) => n);
		expect(warned.length).toBeGreaterThanOrEqual(10);
		for (const n of warned) {
			const ids = (fromPlan.get(n) ?? []).map((id) => id.split('#')[0]!);
			const corrected = ids.some((id) => Boolean(loaded.byId.get(id)?.item.correction));
			expect({n, corrected}).toEqual({n, corrected: true});
		}
	});

	it('keeps rollbacks out of the forward path and every migration unskippable', () => {
		const forwardFiles = loaded.forward.flatMap((e) => (e.item.kind === 'sql-file' ? [e.item.file] : []));
		expect(forwardFiles).toEqual(['006_add_platform_databases_table.sql', '006_enable_rls_with_permissive_policies.sql', '006_register_railway_databases.sql']);
		expect(loaded.plan.rollback.map((l) => l.level)).toEqual([1, 2, 3]);
	});
});
