import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {importSpecifiers, importsUnder, LAYERS, violations} from './layers.js';

const SOURCE = path.resolve(import.meta.dirname, '../../source');

describe('layering of source/', () => {
	it('has no import from a lower layer to a higher one, none between peers, and every folder in a layer', () => {
		const imports = importsUnder(SOURCE);
		// The walk found the code: a broken walk must not pass as "no violations".
		expect(imports.length).toBeGreaterThan(300);
		expect(imports.some((i) => i.from === 'engine/runner.ts' && i.to === 'state/store.js')).toBe(true);
		expect(violations(imports)).toEqual([]);
	});

	it('reads static, type-only, re-exported and dynamic imports', () => {
		const text = [
			"import type {RunState} from '../state/types.js';",
			"export {connect} from '../db/connect.js';",
			"import './side-effect.js';",
			"const {startRun} = await import('../engine/runner.js');",
			"import {z} from 'zod';",
		].join('\n');
		expect(importSpecifiers(text)).toEqual(['../state/types.js', '../db/connect.js', './side-effect.js', '../engine/runner.js', 'zod']);
	});

	it('fails on a deliberately bad list of imports', () => {
		const bad = [
			{from: 'db/activity.ts', to: 'engine/controller.js'},
			{from: 'state/reduce.ts', to: 'engine/types.js'},
			{from: 'proc/psql.ts', to: 'ui/glyphs.js'},
			{from: 'report/from-state.ts', to: 'engine/timeline.js'},
			{from: 'ui/render.ts', to: 'cli.js'},
			{from: 'backup/dump.ts', to: 'railway/project.js'},
			{from: 'errors.ts', to: 'db/target.js'},
			{from: 'widgets/x.ts', to: 'db/target.js'},
			{from: 'db/x.ts', to: 'widgets/y.js'},
			{from: 'state/x.ts', to: '../bench/y.js'},
		];
		const found = violations(bad);
		expect(found).toHaveLength(bad.length);
		expect(found[0]).toBe('db/activity.ts imports engine/controller.js: db is below engine');
		expect(found[5]).toBe('backup/dump.ts imports railway/project.js: backup and railway are peers in one layer and must not import each other');
		expect(found[7]).toMatch(/^widgets\/x\.ts: widgets is in no layer/);
	});

	it('allows downward imports, within a folder, and to the root files', () => {
		const good = [
			{from: 'cli.ts', to: 'cli/run.js'},
			{from: 'ui/App.tsx', to: 'engine/controller.js'},
			{from: 'engine/runner.ts', to: 'state/store.js'},
			{from: 'engine/executors/report.ts', to: 'engine/context.js'},
			{from: 'state/reduce.ts', to: 'plan/load.js'},
			{from: 'proc/psql.ts', to: 'db/target.js'},
			{from: 'db/connect.ts', to: 'errors.js'},
		];
		expect(violations(good)).toEqual([]);
	});

	it('names every layer once', () => {
		const units = LAYERS.flat();
		expect(new Set(units).size).toBe(units.length);
	});
});
