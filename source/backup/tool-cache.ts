/**
 * What a client tool's `--version` printed, kept on disk between runs: every
 * start otherwise forks the tool (and on Debian its perl wrapper first),
 * 45-150 ms on the way to the first item. An answer is kept only where the
 * files alone decide it:
 * - a compiled binary (ELF): by its path and identity (device, inode, size,
 *   mtime), so a replaced or upgraded binary is read again;
 * - Debian's pg_wrapper with a host in the environment (then it always runs
 *   the newest installed binary of the tool): by the wrapper's identity and
 *   the identity of every installed version's binary, so installing or
 *   removing a version reads it again.
 * Anything else (a shell shim that may pick a binary by the directory or
 * the environment, a wrapper without a host) is run every time. A cache that
 * cannot be read or written costs time, never correctness.
 */
import {createHash} from 'node:crypto';
import {closeSync, openSync, readFileSync, readSync} from 'node:fs';
import {readdir, realpath, stat} from 'node:fs/promises';
import path from 'node:path';
import {runbookCacheDir, writeCacheEntry} from '../cache-dir.js';

/** Entries kept; the oldest go first. */
const KEEP = 32;

export function toolCacheDir(env: Readonly<Record<string, string | undefined>> = process.env): string {
	return runbookCacheDir('tools', env);
}

/** A file's identity: a replaced, rewritten or touched file is another. */
export const fileIdentity = (info: {dev: number; ino: number; size: number; mtimeMs: number}) => `${info.dev}:${info.ino}:${info.size}:${info.mtimeMs}`;

function isElf(file: string): boolean {
	try {
		const fd = openSync(file, 'r');
		try {
			const head = Buffer.alloc(4);
			return readSync(fd, head, 0, 4, 0) === 4 && head.equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]));
		} finally {
			closeSync(fd);
		}
	} catch {
		return false;
	}
}

/** True when `real` (a resolved path) is postgresql-common's pg_wrapper. */
export function isDebianWrapper(real: string): boolean {
	return path.basename(real) === 'pg_wrapper' && path.basename(path.dirname(real)) === 'postgresql-common';
}

/** The key of a tool's answer, or undefined when the files alone do not decide it. */
export async function toolCacheKey(name: string, file: string, env: Readonly<Record<string, string | undefined>> | undefined, binRoot: string): Promise<string | undefined> {
	const real = await realpath(file).catch(() => undefined);
	if (!real) return undefined;
	const info = await stat(real).catch(() => undefined);
	if (!info) return undefined;
	const parts = [name, real, fileIdentity(info)];
	if (isDebianWrapper(real)) {
		if (!env?.['PGHOST']) return undefined;
		const versions = (await readdir(binRoot).catch(() => [] as string[])).sort();
		for (const v of versions) {
			const binary = await stat(path.join(binRoot, v, 'bin', name)).catch(() => undefined);
			parts.push(`${v}=${binary ? fileIdentity(binary) : '-'}`);
		}
		parts.unshift('pg_wrapper with a host', binRoot);
	} else if (isElf(real)) {
		parts.unshift('binary');
	} else {
		return undefined;
	}
	return createHash('sha256').update(parts.join('\0')).digest('hex');
}

export function readToolCache(key: string, dir = toolCacheDir()): string | undefined {
	try {
		const [stored, output] = readFileSync(path.join(dir, `${key}.txt`), 'utf8').split('\n');
		return stored === key && output ? output : undefined;
	} catch {
		return undefined;
	}
}

export function writeToolCache(key: string, output: string, dir = toolCacheDir()): void {
	// An entry per binary identity: upgrades leave old ones, so the oldest go past KEEP.
	writeCacheEntry(dir, `${key}.txt`, `${key}\n${output}\n`, KEEP);
}
