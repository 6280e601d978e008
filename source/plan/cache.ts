/**
 * Validate a plan once: the result of parsing and checking a plan file is
 * kept by the sha-256 of its text (and of the runbook build, the action names
 * and --migrations), so the next start reads one small JSON file instead of
 * parsing 65 KB of YAML and running the schema (about 0.3 s of CPU on a
 * two-core machine). Only valid plans are kept. What the text alone does not
 * decide is checked again on every load: that each migration file exists.
 * Anything wrong with the cache (missing, torn, unwritable) falls back to the
 * full validation, which also gives the file:line messages.
 */
import {createHash} from 'node:crypto';
import {readFileSync, statSync} from 'node:fs';
import path from 'node:path';
import {runbookCacheDir, writeCacheEntry} from '../cache-dir.js';
import {fileURLToPath} from 'node:url';
import {findSqlFile, indexPlan, readPlanFile, type LoadedPlan} from './loaded.js';
import type {Plan} from './schema.js';
import type {ValidateOptions} from './load.js';

/** Entries kept; the oldest go first. */
const KEEP = 32;

export function planCacheDir(env: Readonly<Record<string, string | undefined>> = process.env): string {
	return runbookCacheDir('plans', env);
}

/** This build of the runbook: a rebuild (a new schema) never reads an older build's entries. */
function buildId(): string {
	try {
		const stat = statSync(fileURLToPath(import.meta.url));
		return `${stat.size}:${stat.mtimeMs}`;
	} catch {
		return 'unknown';
	}
}

function keyOf(text: string, options: ValidateOptions): string {
	return createHash('sha256')
		.update(JSON.stringify({build: buildId(), actions: options.actions ?? null, sqlDir: options.sqlDir ?? null}))
		.update('\0')
		.update(text)
		.digest('hex');
}

type Entry = {readonly key: string; readonly plan: Plan};

function readEntry(dir: string, key: string): Plan | undefined {
	try {
		const entry = JSON.parse(readFileSync(path.join(dir, `${key}.json`), 'utf8')) as Entry;
		return entry.key === key && entry.plan && typeof entry.plan === 'object' ? entry.plan : undefined;
	} catch {
		return undefined;
	}
}

function writeEntry(dir: string, key: string, plan: Plan): void {
	writeCacheEntry(dir, `${key}.json`, JSON.stringify({key, plan} satisfies Entry), KEEP);
}

/** Every migration file the plan names is still where validation found it. */
function filesPresent(loaded: LoadedPlan): boolean {
	for (const entry of loaded.byId.values()) {
		if (entry.item.kind === 'sql-file' && !findSqlFile(loaded.sqlDir, entry.item.file)) return false;
	}
	return true;
}

/** loadPlan (load.ts), with the validation kept by content hash in `dir`. */
export async function loadPlanCached(file: string, options: ValidateOptions = {}, dir = planCacheDir()): Promise<LoadedPlan> {
	const text = readPlanFile(file);
	const key = keyOf(text, options);
	const sha256 = createHash('sha256').update(text).digest('hex');
	const cached = readEntry(dir, key);
	if (cached) {
		const loaded = indexPlan(cached, file, sha256, options.sqlDir);
		if (filesPresent(loaded)) return loaded;
	}
	const {loadPlanText} = await import('./load.js');
	const loaded = loadPlanText(text, file, options);
	writeEntry(dir, key, loaded.plan);
	return loaded;
}
