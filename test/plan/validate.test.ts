/** `runbook validate`: every problem of a plan file at once, each with file:line and the field. */
import {describe, expect, it} from 'vitest';
import {readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {runCli, tempDir, PLAN, ROOT} from '../helpers/cli.js';

function lineOf(text: string, needle: string): number {
	const index = text.indexOf(needle);
	if (index < 0) throw new Error(`not in the plan: ${needle}`);
	return text.slice(0, index).split('\n').length;
}

describe('runbook validate', () => {
	it('accepts the real plan', async () => {
		const result = await runCli(['validate', PLAN]);
		expect(result.exitCode).toBe(0);
		expect(result.stdout).toMatch(/valid — 16 phases, 94 forward items, 3 rollback levels/);
	});

	it('names all three mistakes of a broken plan with their lines and fields', async () => {
		let text = readFileSync(PLAN, 'utf8').replace('sqlDir: ../sql', `sqlDir: ${path.join(ROOT, 'sql')}`);
		text = text.replace('        kind: manual\n        title: Engineering team and stakeholders notified', '        kind: manaul\n        title: Engineering team and stakeholders notified');
		text = text.replace("        items: [step1.apply, step2.apply, step3.apply]\n        covers: [67]", "        items: [step1.apply, step2.aply, step3.apply]\n        covers: [67]");
		text = text.replace('  - {id: t25-app, at: +25m, activity', '  - {id: t25-app, at: soon, activity');
		const dir = tempDir('validate');
		const file = path.join(dir, 'broken.yaml');
		writeFileSync(file, text);
		const result = await runCli(['validate', file]);
		expect(result.exitCode).toBe(2);
		const lines = result.stderr.trim().split('\n');
		expect(lines[0]).toBe(`${file}: 3 problems`);
		expect(lines.slice(1)).toEqual([
			expect.stringMatching(new RegExp(`^${file}:${lineOf(text, 'at: soon')}: timeline\\[11\\]\\.at: a duration`)),
			expect.stringMatching(new RegExp(`^${file}:${lineOf(text, 'kind: manaul')}: phases\\[0\\]\\.items\\[1\\]\\.kind: `)),
			expect.stringMatching(new RegExp(`^${file}:${lineOf(text, 'step2.aply')}: phases\\[\\d+\\]\\.items\\[0\\]\\.items\\[1\\]: refers to \`step2\\.aply\`, which is not an item of this plan`)),
		]);
	});

	it('rejects an action\'s bad `with:` at its line: a wrong type, an unknown field, a missing field', async () => {
		let text = readFileSync(PLAN, 'utf8').replace('sqlDir: ../sql', `sqlDir: ${path.join(ROOT, 'sql')}`);
		text = text.replace('with: {maxSeconds: 60}', 'with: {maxSeconds: sixty}');
		text = text.replace('with: {attempts: 5, maxMs: 2000}', 'with: {attempts: 5, maxMS: 2000}');
		text = text.replace('with: {check: variable, name: REDIS_URL}', 'with: {check: variable}');
		const dir = tempDir('validate');
		const file = path.join(dir, 'bad-with.yaml');
		writeFileSync(file, text);
		const result = await runCli(['validate', file]);
		expect(result.exitCode).toBe(2);
		const lines = result.stderr.trim().split('\n');
		expect(lines[0]).toBe(`${file}: 3 problems`);
		expect(lines.slice(1)).toEqual([
			expect.stringMatching(new RegExp(`^${file}:${lineOf(text, 'with: {check: variable}')}: phases\\[\\d+\\]\\.items\\[\\d+\\]\\.with\\.name: check: variable needs the variable's \`name\``)),
			expect.stringMatching(new RegExp(`^${file}:${lineOf(text, 'maxSeconds: sixty')}: phases\\[\\d+\\]\\.items\\[\\d+\\]\\.with\\.maxSeconds: .*number`)),
			expect.stringMatching(new RegExp(`^${file}:${lineOf(text, 'maxMS: 2000')}: phases\\[\\d+\\]\\.items\\[\\d+\\]\\.with: unknown field.*maxMS`)),
		]);
	});

	it('reports YAML syntax errors with their line', async () => {
		const dir = tempDir('validate');
		const file = path.join(dir, 'bad.yaml');
		writeFileSync(file, 'id: x\ntitle: [unclosed\n');
		const result = await runCli(['validate', file]);
		expect(result.exitCode).toBe(2);
		expect(result.stderr).toMatch(new RegExp(`${file}:\\d+: YAML: `));
	});
});
