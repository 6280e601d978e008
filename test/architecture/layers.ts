/**
 * The layering rule of source/, as data, and the check that applies it.
 * Each layer may import any layer below it, never one above it, and the
 * folders of one layer never import each other. README "How it works" says
 * the same in words; test/architecture/layering.test.ts holds the code to it.
 */
import {readdirSync, readFileSync} from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/** Top first. A name is a folder under source/, or a file at its root. */
export const LAYERS: ReadonlyArray<readonly string[]> = [
	// The entry point: parses the command line, starts a command.
	['cli.ts'],
	// The commands, and the plain and status renderers.
	['cli'],
	// The TUI: renders the state and acts through the engine's Controller.
	['ui'],
	// Runs the plan: the item loop, gates, retries, rollback; executors glue the tools to items.
	['engine'],
	// The report: a pure function of the plan and the state, which the engine's write-report step calls.
	['report'],
	// The run's events, their fold into the state, the journal and snapshot, the timeline read model.
	['state'],
	// Tools built on other tools.
	['health', 'monitor', 'rehearsal'],
	// Tools: each does one job against the database, the disk or a service, and owns the data type it records.
	['app-check', 'backup', 'baseline', 'probes', 'railway', 'sandbox', 'security'],
	// The plan file: schema, loading, rules about items.
	['plan'],
	// Child processes (psql, pg_dump, …) and the resources they create.
	['proc'],
	// Connections: resolving the target, connecting, the ledger, the run lock, activity.
	['db'],
	// What every layer may use.
	['cache-dir.ts', 'errors.ts', 'paths.ts', 'production-mode.ts', 'text.ts'],
];

export type Import = {readonly from: string; readonly to: string};

/** The unit a file belongs to: its top folder under source/, or its own name at the root. */
export function unitOf(file: string): string {
	const [first] = file.split('/');
	return first ?? file;
}

/** Every relative import (static, type-only, re-export, dynamic) of every .ts/.tsx file under `root`, as paths relative to it. */
export function importsUnder(root: string): Import[] {
	const imports: Import[] = [];
	const walk = (dir: string) => {
		for (const entry of readdirSync(dir, {withFileTypes: true})) {
			const full = path.join(dir, entry.name);
			if (entry.isDirectory()) walk(full);
			else if (/\.tsx?$/.test(entry.name)) {
				const from = path.relative(root, full).split(path.sep).join('/');
				for (const spec of importSpecifiers(readFileSync(full, 'utf8'))) {
					if (!spec.startsWith('.')) continue;
					const to = path.relative(root, path.resolve(path.dirname(full), spec)).split(path.sep).join('/');
					imports.push({from, to});
				}
			}
		}
	};
	walk(root);
	return imports;
}

export function importSpecifiers(text: string): string[] {
	return ts.preProcessFile(text, true, true).importedFiles.map((file) => file.fileName);
}

/** One sentence per import that breaks the rule: upwards, between peers, out of source/, or from or to a unit no layer names. */
export function violations(imports: readonly Import[], layers: ReadonlyArray<readonly string[]> = LAYERS): string[] {
	const rank = new Map<string, number>();
	layers.forEach((units, index) => {
		for (const unit of units) rank.set(unit, index);
	});
	// A root file is named with its extension; an import names it .js.
	const known = (file: string): string => {
		const unit = unitOf(file);
		if (rank.has(unit)) return unit;
		const source = unit.replace(/\.js$/, '.ts');
		if (rank.has(source)) return source;
		return rank.has(`${source}x`) ? `${source}x` : unit;
	};
	const found: string[] = [];
	for (const {from, to} of imports) {
		const a = known(from);
		const b = known(to);
		if (to.startsWith('..')) found.push(`${from} imports ${to}, outside source/`);
		else if (a === b) continue;
		else if (!rank.has(a)) found.push(`${from}: ${a} is in no layer; add it to LAYERS (test/architecture/layers.ts) and README "How it works"`);
		else if (!rank.has(b)) found.push(`${from} imports ${to}: ${b} is in no layer; add it to LAYERS (test/architecture/layers.ts) and README "How it works"`);
		else if (rank.get(a) === rank.get(b)) found.push(`${from} imports ${to}: ${a} and ${b} are peers in one layer and must not import each other`);
		else if (rank.get(a)! > rank.get(b)!) found.push(`${from} imports ${to}: ${a} is below ${b}`);
	}
	return [...new Set(found)];
}
