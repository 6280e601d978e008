/**
 * What a pg_dump file says about itself before anything is restored: its
 * format (custom, directory, tar or plain SQL), the server version it was
 * dumped from (the archive header's "Dumped from database version", or the
 * plain file's `-- Dumped from database version` comment), the database name,
 * and every role it names — owners (`OWNER TO`, `SET SESSION AUTHORIZATION`)
 * and grantees (`GRANT … TO`, `REVOKE … FROM`, `ALTER DEFAULT PRIVILEGES FOR
 * ROLE`, `CREATE POLICY … TO`) — so the rehearsal server can have those roles
 * before the restore and owners and grants come back as they were.
 *
 * Custom, directory and tar archives are read through `pg_restore --list`
 * (the header) and `pg_restore --schema-only --file=-` (the DDL, never the
 * data); a plain file is streamed line by line with its COPY blocks skipped.
 */
import {open, stat} from 'node:fs/promises';
import {existsSync} from 'node:fs';
import path from 'node:path';
import {UserError} from '../errors.js';
import {POSTGRES_CLIENT_HINT, runChild} from '../proc/child.js';
import {forEachLine} from '../backup/line-stream.js';

export type ArchiveFormat = 'custom' | 'directory' | 'tar' | 'plain';

export type ArchiveInfo = {
	readonly file: string;
	readonly format: ArchiveFormat;
	/** As the header writes it, e.g. `15.18` or `14.9 (Debian 14.9-1)`. */
	readonly sourceVersion: string;
	/** The major as people name it: `15`, or `9.6` before PostgreSQL 10. */
	readonly sourceMajor: string;
	readonly dumpedBy?: string;
	/** The dumped database's name (custom/directory/tar headers carry it). */
	readonly database?: string;
	/** TOC entries (custom/directory/tar), for restore progress. */
	readonly entries?: number;
	/** Roles that own objects in the archive. */
	readonly owners: readonly string[];
	/** Roles that are granted or revoked something (PUBLIC excluded). */
	readonly grantees: readonly string[];
};

/** `15.18 (Debian …)` → `15`; `9.6.24` → `9.6`. */
export function majorOf(version: string): string | undefined {
	const m = /^(\d+)(?:\.(\d+))?/.exec(version.trim());
	if (!m) return undefined;
	const first = Number(m[1]);
	return first >= 10 ? String(first) : `${first}.${m[2] ?? '0'}`;
}

async function readHead(file: string, bytes: number): Promise<Buffer> {
	const handle = await open(file, 'r');
	try {
		const buffer = Buffer.alloc(bytes);
		const {bytesRead} = await handle.read(buffer, 0, bytes, 0);
		return buffer.subarray(0, bytesRead);
	} finally {
		await handle.close();
	}
}

export async function detectArchiveFormat(file: string): Promise<ArchiveFormat> {
	let info;
	try {
		info = await stat(file);
	} catch (error) {
		throw new UserError(`The backup ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}). Give the path of a pg_dump file: custom (-Fc), directory (-Fd), tar (-Ft) or plain SQL.`, {cause: error});
	}
	if (info.isDirectory()) {
		if (existsSync(path.join(file, 'toc.dat'))) return 'directory';
		throw new UserError(`${file} is a directory without toc.dat, so it is not a pg_dump directory archive (-Fd). Give the dump's directory, or a custom, tar or plain dump file.`);
	}
	const head = await readHead(file, 512);
	if (head.subarray(0, 5).toString('latin1') === 'PGDMP') return 'custom';
	if (head.length >= 262 && head.subarray(257, 262).toString('latin1') === 'ustar') return 'tar';
	const text = head.toString('utf8');
	if (/PostgreSQL database dump/.test(text) || /^\s*(--|SET |CREATE |\\restrict )/m.test(text)) return 'plain';
	throw new UserError(`${file} is not a pg_dump file: it is neither a custom, directory or tar archive nor plain SQL. Give the file pg_dump (or runbook's backup step) wrote.`);
}

/** Unquotes one SQL identifier as pg_dump writes it (`"My Role"` → `My Role`, `app` → `app`). */
function unquote(identifier: string): string {
	const t = identifier.trim();
	if (t.startsWith('"') && t.endsWith('"')) return t.slice(1, -1).replace(/""/g, '"');
	return t;
}

/** Splits `a, "b, c", d` at top-level commas. */
function splitRoles(list: string): string[] {
	const out: string[] = [];
	let current = '';
	let quoted = false;
	for (const ch of list) {
		if (ch === '"') quoted = !quoted;
		if (ch === ',' && !quoted) {
			out.push(current);
			current = '';
		} else current += ch;
	}
	out.push(current);
	return out.map((r) => r.trim()).filter(Boolean);
}

const IDENT = String.raw`(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)`;
const OWNER_TO = new RegExp(String.raw`\bOWNER TO (${IDENT});\s*$`);
const SESSION_AUTH = /^SET SESSION AUTHORIZATION '((?:[^']|'')+)';/;
const GRANT_TO = /^GRANT .+? TO (.+?)(?: WITH GRANT OPTION)?(?: GRANTED BY .+)?;\s*$/;
const REVOKE_FROM = /^REVOKE .+? FROM (.+?)(?: GRANTED BY .+)?(?: CASCADE| RESTRICT)?;\s*$/;
const DEFAULT_FOR = new RegExp(String.raw`^ALTER DEFAULT PRIVILEGES FOR ROLE (${IDENT})`);
const POLICY_TO = /^CREATE POLICY .+? TO (.+?)(?: USING| WITH CHECK|;)/;

/** Collects the roles one line of dump DDL names. */
export class RoleCollector {
	readonly owners = new Set<string>();
	readonly grantees = new Set<string>();

	push(line: string): void {
		const owner = OWNER_TO.exec(line);
		if (owner) this.owners.add(unquote(owner[1]!));
		const auth = SESSION_AUTH.exec(line);
		if (auth) this.owners.add(auth[1]!.replace(/''/g, "'"));
		const defaults = DEFAULT_FOR.exec(line);
		if (defaults) this.owners.add(unquote(defaults[1]!));
		const trimmed = line.replace(/^ALTER DEFAULT PRIVILEGES (?:FOR ROLE \S+ )?(?:IN SCHEMA \S+ )?/, '');
		for (const pattern of [GRANT_TO, REVOKE_FROM, POLICY_TO]) {
			const m = pattern.exec(trimmed);
			if (!m) continue;
			for (const role of splitRoles(m[1]!)) {
				const name = role.replace(/^GROUP /, '');
				if (/^(PUBLIC|CURRENT_USER|SESSION_USER|CURRENT_ROLE)$/i.test(name) && !name.startsWith('"')) continue;
				this.grantees.add(unquote(name));
			}
		}
	}
}

type ListHeader = {sourceVersion?: string; dumpedBy?: string; database?: string; entries?: number};

function parseListHeader(lines: readonly string[]): ListHeader {
	const header: ListHeader = {};
	for (const line of lines) {
		if (!line.startsWith(';')) continue;
		const m = /^;\s+([^:]+):\s*(.*)$/.exec(line);
		if (!m) continue;
		const key = m[1]!.trim();
		const value = m[2]!.trim();
		if (key === 'Dumped from database version') header.sourceVersion = value;
		else if (key === 'Dumped by pg_dump version') header.dumpedBy = value;
		else if (key === 'dbname') header.database = value;
		else if (key === 'TOC Entries') header.entries = Number(value);
	}
	return header;
}

async function pgRestoreLines(pgRestore: string, args: readonly string[], onLine: (line: string) => void): Promise<void> {
	const stderr: string[] = [];
	const result = await runChild({
		file: pgRestore,
		args,
		installHint: POSTGRES_CLIENT_HINT,
		tailLines: 10,
		onLine: ({stream, line}) => {
			if (stream === 'stdout') onLine(line);
			else stderr.push(line);
		},
	});
	if (result.exitCode !== 0) {
		throw new UserError(`pg_restore ${args.join(' ')} could not read the archive (exit code ${result.exitCode}): ${stderr.slice(-5).join(' ') || 'no message'}. The file may be truncated or written by a newer pg_dump than this pg_restore; check it with \`runbook verify-backup\`.`);
	}
}

/** Reads the header and the roles of a dump. `pgRestore` is the pg_restore binary (custom/directory/tar). */
export async function readArchive(file: string, pgRestore = 'pg_restore'): Promise<ArchiveInfo> {
	const format = await detectArchiveFormat(file);
	const roles = new RoleCollector();
	let header: ListHeader;
	if (format === 'plain') {
		header = {};
		let inCopy = false;
		let lineNo = 0;
		await forEachLine(file, (line) => {
			lineNo += 1;
			if (inCopy) {
				if (line === '\\.') inCopy = false;
				return;
			}
			if (/^COPY .+ FROM stdin;$/.test(line)) {
				inCopy = true;
				return;
			}
			if (lineNo < 60) {
				const from = /^-- Dumped from database version (.+)$/.exec(line);
				if (from) header.sourceVersion = from[1]!.trim();
				const by = /^-- Dumped by pg_dump version (.+)$/.exec(line);
				if (by) header.dumpedBy = by[1]!.trim();
			}
			const connect = /^\\connect (?:-reuse-previous=on )?"?([^"\s]+)"?/.exec(line);
			if (connect && header.database === undefined) header.database = connect[1]!;
			roles.push(line);
		});
	} else {
		const listed: string[] = [];
		await pgRestoreLines(pgRestore, ['--list', file], (line) => {
			if (line.startsWith(';')) listed.push(line);
		});
		header = parseListHeader(listed);
		await pgRestoreLines(pgRestore, ['--schema-only', '--file=-', file], (line) => roles.push(line));
	}
	const major = header.sourceVersion ? majorOf(header.sourceVersion) : undefined;
	if (!header.sourceVersion || !major) {
		throw new UserError(
			format === 'plain'
				? `${file} has no "-- Dumped from database version" comment in its first lines, so the PostgreSQL version it was dumped from is unknown and the rehearsal server cannot be matched to it. Give an unedited pg_dump file (pg_dump writes that comment), or a custom-format dump (pg_dump -Fc).`
				: `The archive header of ${file} has no "Dumped from database version" line (pg_restore --list), so the source server's version is unknown. Give an archive pg_dump wrote.`,
		);
	}
	return {
		file,
		format,
		sourceVersion: header.sourceVersion,
		sourceMajor: major,
		...(header.dumpedBy ? {dumpedBy: header.dumpedBy} : {}),
		...(header.database ? {database: header.database} : {}),
		...(header.entries !== undefined && Number.isFinite(header.entries) ? {entries: header.entries} : {}),
		owners: [...roles.owners].sort(),
		grantees: [...roles.grantees].filter((r) => !roles.owners.has(r)).sort(),
	};
}
