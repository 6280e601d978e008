/**
 * The runbook's caches on this host: `$XDG_CACHE_HOME/runbook/<name>`
 * (`~/.cache/runbook/<name>`), 0700 directories of 0600 files, each kept to
 * its newest entries. Nothing in them is state or a secret: a cache that
 * cannot be read or written costs time, never correctness.
 */
import {mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export function runbookCacheDir(name: string, env: Readonly<Record<string, string | undefined>> = process.env): string {
	return path.join(env['XDG_CACHE_HOME'] || path.join(os.homedir(), '.cache'), 'runbook', name);
}

/**
 * Writes one entry (a temp file renamed over it, so a reader never sees half
 * of it), then removes the oldest entries of its kind (its extension) past
 * `keep`. Never throws.
 */
export function writeCacheEntry(dir: string, name: string, text: string, keep: number): void {
	try {
		mkdirSync(dir, {recursive: true, mode: 0o700});
		const file = path.join(dir, name);
		const temp = `${file}.${process.pid}.tmp`;
		writeFileSync(temp, text, {mode: 0o600});
		renameSync(temp, file);
		const kind = path.extname(name);
		const entries = readdirSync(dir).filter((f) => f.endsWith(kind));
		if (entries.length > keep) {
			const byAge = entries.map((f) => ({f, at: statSync(path.join(dir, f)).mtimeMs})).sort((a, b) => a.at - b.at);
			for (const {f} of byAge.slice(0, entries.length - keep)) rmSync(path.join(dir, f), {force: true});
		}
	} catch {
		// time, never correctness
	}
}
