/** A plan's probes are checked at load time, every problem with its line: nothing runs unverified. */
import {describe, expect, it} from 'vitest';
import {parsePlanText} from '../../source/plan/load.js';
import {ACTION_NAMES} from '../../source/plan/actions.js';

const PLAN = `id: p
title: P
version: 1
timeline:
  - {id: t0, at: +0m, activity: Migrate}
decisionMatrix:
  - {id: single-endpoint, issue: Single endpoint broken, severity: HIGH, rollback: false, procedure: Fix forward}
probes:
  - id: probe.a
    title: A
    access: read
    from: m2.apply
    sql: SELECT * FROM t WHERE id = $1 AND x = $2
    params:
      - {from: "SELECT 1"}
phases:
  - id: m1
    title: M1
    items:
      - {id: m1.apply, kind: sql-file, file: 001.sql, migration: true, title: Apply}
      - {id: m1.before, kind: probes, title: Probes too late}
`;

function lineOf(needle: string): number {
	return PLAN.slice(0, PLAN.indexOf(needle)).split('\n').length;
}

describe('probes in a plan file', () => {
	const {problems} = parsePlanText(PLAN, 'p.yaml', {actions: ACTION_NAMES});
	const messages = problems.filter((p) => !/does not exist/.test(p.message)).map((p) => `${p.line} ${p.field}: ${p.message}`);

	it('refuses a probe that applies from something that is not a migration, and a parameter count that does not match', () => {
		expect(messages).toEqual(
			expect.arrayContaining([
				`${lineOf('from: m2.apply')} probes[0].from: \`m2.apply\` is not a migration of this plan (a sql-file item with migration: true); a probe applies from a migration on`,
				`${lineOf('      - {from: "SELECT 1"}')} probes[0].params: the SQL uses 2 placeholder(s) ($1…) but 1 parameter(s) are given; give one per placeholder, in order`,
			]),
		);
	});

	it('refuses a before-run after the first migration, and a migration no probes item verifies', () => {
		expect(messages).toEqual(
			expect.arrayContaining([
				expect.stringMatching(new RegExp(`^${lineOf('{id: m1.before')} phases\\[0\\]\\.items\\[1\\]: the plan has 1 probe\\(s\\) but no earlier probes item without \`after\` before its first migration`)),
				`${lineOf('{id: m1.apply')} phases[0].items[0].id: no probes item verifies the migration \`m1.apply\`: add one (kind: probes, after: m1.apply) after it, so the application's statements are run again after this migration`,
			]),
		);
	});
});
