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


/** Validates the real plan with `edits` applied (each [from, to]); the plan's text, its file, and stderr's problem lines. */
async function validateEdited(name: string, edits: ReadonlyArray<readonly [string, string]>) {
	let text = readFileSync(PLAN, 'utf8').replace('sqlDir: ../sql', `sqlDir: ${path.join(ROOT, 'sql')}`);
	for (const [from, to] of edits) text = text.replace(from, to);
	const file = path.join(tempDir('validate'), name);
	writeFileSync(file, text);
	const result = await runCli(['validate', file]);
	const lines = result.stderr.trim().split('\n');
	return {text, file, result, header: lines[0], problems: lines.slice(1)};
}

describe('runbook validate', () => {
	it('accepts the real plan', async () => {
		const result = await runCli(['validate', PLAN]);
		expect(result.exitCode).toBe(0);
		expect(result.stdout).toMatch(/valid — 16 phases, 94 forward items, 3 rollback levels/);
	});

	it('names all three mistakes of a broken plan with their lines and fields', async () => {
		const {text, file, result, header, problems} = await validateEdited('broken.yaml', [
			['        kind: manual\n        title: Engineering team and stakeholders notified', '        kind: manaul\n        title: Engineering team and stakeholders notified'],
			["        items: [step1.apply, step2.apply, step3.apply]\n        covers: [67]", "        items: [step1.apply, step2.aply, step3.apply]\n        covers: [67]"],
			['  - {id: t25-app, at: +25m, activity', '  - {id: t25-app, at: soon, activity'],
		]);
		expect(result.exitCode).toBe(2);
		expect(header).toBe(`${file}: 3 problems`);
		expect(problems).toEqual([
			expect.stringMatching(new RegExp(`^${file}:${lineOf(text, 'at: soon')}: timeline\\[11\\]\\.at: a duration`)),
			expect.stringMatching(new RegExp(`^${file}:${lineOf(text, 'kind: manaul')}: phases\\[0\\]\\.items\\[1\\]\\.kind: `)),
			expect.stringMatching(new RegExp(`^${file}:${lineOf(text, 'step2.aply')}: phases\\[\\d+\\]\\.items\\[0\\]\\.items\\[1\\]: refers to \`step2\\.aply\`, which is not an item of this plan`)),
		]);
	});

	it('rejects an action\'s bad `with:` at its line: a wrong type, an unknown field, a missing field', async () => {
		const {text, file, result, header, problems} = await validateEdited('bad-with.yaml', [
			['with: {maxSeconds: 60}', 'with: {maxSeconds: sixty}'],
			['with: {attempts: 5, maxMs: 2000}', 'with: {attempts: 5, maxMS: 2000}'],
			['with: {check: variable, name: REDIS_URL}', 'with: {check: variable}'],
		]);
		expect(result.exitCode).toBe(2);
		expect(header).toBe(`${file}: 3 problems`);
		expect(problems).toEqual([
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
