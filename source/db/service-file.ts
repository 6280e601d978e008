/**
 * pg_service.conf, read as libpq reads it: the user's file (PGSERVICEFILE, or
 * ~/.pg_service.conf) first; if the service is not defined there, the
 * system-wide one ($PGSYSCONFDIR/pg_service.conf, or the directory libpq was
 * built with, as `pg_config --sysconfdir` reports it).
 */
import {existsSync, readFileSync} from 'node:fs';
import {execFileSync} from 'node:child_process';
import path from 'node:path';
import {UserError} from '../errors.js';
import {KEYWORDS, type Keywords} from './conninfo.js';

export type ServiceDefinition = {readonly name: string; readonly file: string; readonly keywords: Keywords};

type Env = Readonly<Record<string, string | undefined>>;

let builtInSysconfdir: string | undefined;

/** Where libpq looks for the system-wide file when PGSYSCONFDIR is unset. */
function defaultSysconfdir(): string {
	if (builtInSysconfdir === undefined) {
		try {
			builtInSysconfdir = execFileSync('pg_config', ['--sysconfdir'], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']}).trim();
		} catch {
			builtInSysconfdir = existsSync('/etc/postgresql-common') ? '/etc/postgresql-common' : '/etc';
		}
	}
	return builtInSysconfdir;
}

export function serviceFiles(env: Env, home: string): {user: string; system: string} {
	return {
		user: env['PGSERVICEFILE'] || path.join(home, '.pg_service.conf'),
		system: path.join(env['PGSYSCONFDIR'] || defaultSysconfdir(), 'pg_service.conf'),
	};
}

/** The keywords of `name` in `file`, undefined when the file or the section is absent. */
function readService(file: string, name: string): Keywords | undefined {
	let text: string;
	try {
		text = readFileSync(file, 'utf8');
	} catch {
		return undefined;
	}
	let current: string | undefined;
	let found: Keywords | undefined;
	for (const [index, raw] of text.split(/\r?\n/).entries()) {
		const line = raw.trim();
		if (line === '' || line.startsWith('#')) continue;
		if (line.startsWith('[')) {
			if (found) break;
			const close = line.indexOf(']');
			current = close > 0 ? line.slice(1, close) : undefined;
			if (current === name) found = {};
			continue;
		}
		if (current !== name || !found) continue;
		const eq = line.indexOf('=');
		if (eq <= 0) throw new UserError(`Syntax error in the service file ${file}, line ${index + 1}: expected key=value.`);
		const key = line.slice(0, eq).trim();
		const value = line.slice(eq + 1).trim();
		if (key === 'service') throw new UserError(`The service file ${file}, line ${index + 1}: a service cannot name another service (nested service specifications are not supported by libpq either).`);
		if (!(key in KEYWORDS)) throw new UserError(`The service file ${file}, line ${index + 1}: \`${key}\` is not a libpq connection option.`);
		found[key] = value;
	}
	return found;
}

export function findService(name: string, env: Env, home: string): ServiceDefinition {
	const files = serviceFiles(env, home);
	for (const file of [files.user, files.system]) {
		const keywords = readService(file, name);
		if (keywords) return {name, file, keywords};
	}
	throw new UserError(
		`The service \`${name}\` (${env['PGSERVICE'] === name ? 'PGSERVICE' : 'service='}) is not defined in ${files.user} nor in ${files.system}. Add a [${name}] section to one of them (PGSERVICEFILE and PGSYSCONFDIR choose other files), or name the database another way.`,
	);
}
