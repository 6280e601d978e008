/**
 * The plan's validation is kept by content hash: the second load reads the
 * entry instead of parsing and checking the YAML, gives the same plan, and
 * falls back to the full validation (with file:line) whenever the entry
 * cannot be trusted: other text, a migration file gone, a torn entry.
 */
import {describe, expect, it} from 'vitest';
import {copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {loadPlanCached} from '../../source/plan/cache.js';
import {loadPlan, PlanError} from '../../source/plan/load.js';
import {ACTION_NAMES} from '../../source/plan/actions.js';
import {PLAN, ROOT, tempDir} from '../helpers/cli.js';

const options = {actions: ACTION_NAMES};

/** The real plan in a directory of its own, with a copy of sql/ it can lose files from. */
function planCopy(): {file: string; sqlDir: string; cache: string} {
	const dir = tempDir('plan-cache');
	const sqlDir = path.join(dir, 'sql');
	mkdirSync(sqlDir);
	for (const f of readdirSync(path.join(ROOT, 'sql'), {recursive: true, withFileTypes: true})) {
		if (!f.isFile()) continue;
		const from = path.join(f.parentPath, f.name);
		const to = path.join(sqlDir, path.relative(path.join(ROOT, 'sql'), from));
		mkdirSync(path.dirname(to), {recursive: true});
		copyFileSync(from, to);
	}
	const file = path.join(dir, 'runbook', 'plan.yaml');
	mkdirSync(path.dirname(file));
	writeFileSync(file, readFileSync(PLAN, 'utf8'));
	return {file, sqlDir, cache: path.join(dir, 'cache')};
}

const entries = (cache: string) => readdirSync(cache).filter((f) => f.endsWith('.json'));

describe('the plan validation cache', () => {
	it('keeps a valid plan once and reads the same plan back from it', async () => {
		const {file, cache} = planCopy();
		const first = await loadPlanCached(file, options, cache);
		expect(entries(cache)).toHaveLength(1);
		const entry = path.join(cache, entries(cache)[0]!);
		const written = readFileSync(entry, 'utf8');
		const second = await loadPlanCached(file, options, cache);
		// Read, not rewritten: the entry is byte-for-byte the same file, and the plans are equal to a full validation.
		expect(readFileSync(entry, 'utf8')).toBe(written);
		const full = loadPlan(file, options);
		for (const loaded of [first, second]) {
			expect(loaded.plan).toEqual(JSON.parse(JSON.stringify(full.plan)));
			expect(loaded.sha256).toBe(full.sha256);
			expect(loaded.sqlDir).toBe(full.sqlDir);
			expect(loaded.forward.map((e) => e.item.id)).toEqual(full.forward.map((e) => e.item.id));
			expect([...loaded.byId.keys()]).toEqual([...full.byId.keys()]);
		}
	});

	it('a hit serves the kept entry; other text or other action names are validated again', async () => {
		const {file, cache} = planCopy();
		await loadPlanCached(file, options, cache);
		const entry = path.join(cache, entries(cache)[0]!);
		// Prove the entry is what a hit returns: a changed title in the entry shows up in the loaded plan.
		const tampered = JSON.parse(readFileSync(entry, 'utf8')) as {plan: {title: string}};
		tampered.plan.title = 'read from the cache';
		writeFileSync(entry, JSON.stringify(tampered));
		expect((await loadPlanCached(file, options, cache)).plan.title).toBe('read from the cache');
		// One changed byte of the text: a new key, a full validation, the file's own title.
		writeFileSync(file, `${readFileSync(file, 'utf8')}\n`);
		expect((await loadPlanCached(file, options, cache)).plan.title).not.toBe('read from the cache');
		expect(entries(cache)).toHaveLength(2);
		// Other action names (another build of the engine) do not share the entry either.
		await loadPlanCached(file, {actions: [...ACTION_NAMES, 'another-action']}, cache);
		expect(entries(cache)).toHaveLength(3);
	});

	it('a migration file that went away after the plan was kept: the full validation reports it with its line', async () => {
		const {file, sqlDir, cache} = planCopy();
		await loadPlanCached(file, options, cache);
		const missing = loadPlan(file, options).forward.find((e) => e.item.kind === 'sql-file')!;
		const sqlFile = (missing.item as {file: string}).file;
		rmSync(path.join(sqlDir, sqlFile));
		const error = await loadPlanCached(file, options, cache).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(PlanError);
		expect((error as PlanError).message).toContain(`the SQL file ${sqlFile} does not exist`);
		expect((error as PlanError).problems[0]!.line).toBeGreaterThan(1);
	});

	it('a torn or foreign entry is passed over and written again; an invalid plan is never kept', async () => {
		const {file, cache} = planCopy();
		await loadPlanCached(file, options, cache);
		const entry = path.join(cache, entries(cache)[0]!);
		const whole = readFileSync(entry, 'utf8');
		writeFileSync(entry, whole.slice(0, 100));
		expect((await loadPlanCached(file, options, cache)).plan.title).toBe(loadPlan(file, options).plan.title);
		expect(readFileSync(entry, 'utf8')).toBe(whole);
		writeFileSync(file, readFileSync(file, 'utf8').replace(/^title: .*$/m, 'title: [unclosed'));
		await expect(loadPlanCached(file, options, cache)).rejects.toBeInstanceOf(PlanError);
		expect(entries(cache)).toHaveLength(1);
	});
});
