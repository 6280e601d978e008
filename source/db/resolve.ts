/**
 * The target, resolved once with libpq's rules, for the pg driver and for
 * every psql / pg_dump / pg_restore child alike:
 *
 * 1. the connection string given (URL, keyword/value pairs, or a database name);
 * 2. the service it or PGSERVICE names, from pg_service.conf, for what is still unset;
 * 3. the PG* environment variables, for what is still unset;
 * 4. libpq's defaults: the local socket directory, port 5432, the OS user,
 *    dbname = user, sslmode=prefer;
 * 5. the password, when none was given, from the password file (PGPASSFILE,
 *    passfile=, or ~/.pgpass) per host, with the `pgpass` library pg itself uses.
 *
 * Nothing names a database (no string, no PGHOST/PGHOSTADDR/PGPORT/PGUSER/
 * PGDATABASE, no service): `resolveConnection` answers undefined and the
 * caller rehearses on the sandbox. PGPASSWORD, PGSSLMODE and the like alone
 * choose nothing.
 */
import {createReadStream, existsSync, statSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {createRequire} from 'node:module';
import {UserError} from '../errors.js';
import {KEYWORDS, parseConninfo, type Keywords} from './conninfo.js';
import {findService} from './service-file.js';
import {buildTarget, type Target, type TargetSource} from './target.js';

type Env = Readonly<Record<string, string | undefined>>;

/** The variables that name a database: any of them set and runbook leaves the sandbox alone. */
export const NAMING_VARIABLES = ['PGHOST', 'PGHOSTADDR', 'PGPORT', 'PGUSER', 'PGDATABASE', 'PGSERVICE'] as const;

export type ResolvedSettings = {
	/** Every libpq keyword with its value; `password` only when it was given (not from the password file). */
	readonly keywords: Keywords;
	readonly hosts: ReadonlyArray<{readonly host: string; readonly port: number; readonly hostaddr?: string}>;
	readonly source: TargetSource;
	readonly home: string;
	/** The connection string as given: a secret as a whole when it holds a password. */
	readonly raw?: string;
};

/** libpq's default socket directory: Debian's /var/run/postgresql, else /tmp. */
function defaultHost(): string {
	if (process.platform === 'win32') return 'localhost';
	return existsSync('/var/run/postgresql') ? '/var/run/postgresql' : '/tmp';
}

function splitList(value: string | undefined): string[] {
	return value === undefined ? [] : value.split(',').map((v) => v.trim());
}

/**
 * Resolves everything but the password file (synchronous: enough for the
 * display form and the state directory's key). `given` is the --database-url /
 * DATABASE_URL value and `givenSource` its name.
 */
export function resolveSettings(given: string | undefined, env: Env, givenSource = '--database-url'): ResolvedSettings | undefined {
	const home = env['HOME'] || os.homedir();
	const explicit = given === undefined ? {} : parseConninfo(given, givenSource);
	const serviceName = explicit['service'] ?? env['PGSERVICE'];
	const naming = NAMING_VARIABLES.filter((name) => env[name] !== undefined && env[name] !== '');
	if (given === undefined && naming.length === 0) return undefined;
	const keywords: Keywords = {...explicit};
	let service: {name: string; file: string} | undefined;
	if (serviceName) {
		const found = findService(serviceName, env, home);
		service = {name: found.name, file: found.file};
		for (const [key, value] of Object.entries(found.keywords)) if (keywords[key] === undefined) keywords[key] = value;
		keywords['service'] = serviceName;
	}
	const fromEnv: string[] = [];
	for (const [key, variable] of Object.entries(KEYWORDS)) {
		if (keywords[key] !== undefined || variable === undefined || key === 'service') continue;
		const value = env[variable];
		if (value !== undefined && value !== '') {
			keywords[key] = value;
			fromEnv.push(variable);
		}
	}
	keywords['host'] ??= keywords['hostaddr'] ? '' : defaultHost();
	keywords['port'] ??= '5432';
	keywords['user'] ??= os.userInfo().username;
	keywords['dbname'] ??= keywords['user'];
	keywords['sslmode'] ??= 'prefer';
	if (keywords['sslmode'] && !['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'].includes(keywords['sslmode'])) {
		throw new UserError(`sslmode=${keywords['sslmode']} (from ${fromEnv.includes('PGSSLMODE') ? 'PGSSLMODE' : service ? `service ${service.name}` : givenSource}) is not a libpq sslmode: use disable, allow, prefer, require, verify-ca or verify-full.`);
	}
	const hostList = splitList(keywords['host']);
	const addrList = splitList(keywords['hostaddr']);
	const portList = splitList(keywords['port']);
	const count = Math.max(hostList.length, addrList.length);
	if (addrList.length > 0 && hostList.length > 1 && addrList.length !== hostList.length) {
		throw new UserError(`${hostList.length} host names but ${addrList.length} hostaddr values: give one hostaddr per host.`);
	}
	if (portList.length !== 1 && portList.length !== count) {
		throw new UserError(`Could not match ${portList.length} port numbers to ${count} hosts (give one port for all hosts, or one per host, as libpq requires).`);
	}
	const hosts = Array.from({length: count}, (_, i) => {
		const portText = portList.length === 1 ? portList[0]! : portList[i]!;
		const port = portText === '' ? 5432 : Number(portText);
		if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UserError(`The port \`${portText}\` is not a port number (1–65535).`);
		const host = hostList[i] || (addrList[i] ? '' : defaultHost());
		const hostaddr = addrList[i];
		return {host: host || hostaddr || defaultHost(), port, ...(hostaddr ? {hostaddr} : {})};
	});
	const timeout = keywords['connect_timeout'];
	if (timeout !== undefined && !/^-?\d+$/.test(timeout.trim())) throw new UserError(`connect_timeout=${timeout} is not a whole number of seconds.`);
	const attrs = keywords['target_session_attrs'];
	if (attrs !== undefined && !['any', 'read-write', 'read-only', 'primary', 'standby', 'prefer-standby'].includes(attrs)) {
		throw new UserError(`target_session_attrs=${attrs} is not one libpq knows: any, read-write, read-only, primary, standby or prefer-standby.`);
	}
	const source: TargetSource =
		given !== undefined
			? {kind: 'url', label: givenSource, ...(fromEnv.length ? {detail: `with ${fromEnv.join(', ')}`} : {}), ...(service ? {service: service.name} : {})}
			: service && env['PGSERVICE']
				? {kind: 'service', label: `service ${service.name}`, detail: `[${service.name}] in ${service.file}${fromEnv.length ? `, with ${fromEnv.join(', ')}` : ''}`, service: service.name}
				: {kind: 'env', label: 'PG* variables', detail: fromEnv.join(', ')};
	return {keywords, hosts, source, home, ...(given === undefined ? {} : {raw: given})};
}

type PgpassHelper = {
	usePgPass: (stats: import('node:fs').Stats, file: string) => boolean;
	getPassword: (connInfo: {host: string; port: number; database: string; user: string}, stream: NodeJS.ReadableStream, cb: (password: string | undefined) => void) => void;
};

/** The password file libpq would read for these settings (passfile=, PGPASSFILE, ~/.pgpass). */
export function passwordFile(settings: ResolvedSettings): string {
	return settings.keywords['passfile'] || path.join(settings.home, '.pgpass');
}

/** The password file's entry for one host, via the pgpass library (permission check included: a group/world-readable file is ignored, as libpq ignores it). */
async function lookupPassword(file: string, connInfo: {host: string; port: number; database: string; user: string}): Promise<string | undefined> {
	let stats;
	try {
		stats = statSync(file);
	} catch {
		return undefined;
	}
	const helper = createRequire(import.meta.url)('pgpass/lib/helper.js') as PgpassHelper;
	// Not a plain file, or readable by group/world: ignored with a warning, as libpq does.
	if (!helper.usePgPass(stats, file)) return undefined;
	return new Promise((resolve) => helper.getPassword(connInfo, createReadStream(file), resolve));
}

/** Resolves the target; undefined when nothing names a database (the sandbox's cue). */
export async function resolveConnection(given: string | undefined, env: Env, givenSource?: string): Promise<Target | undefined> {
	const settings = resolveSettings(given, env, givenSource);
	if (!settings) return undefined;
	return targetFromSettings(settings);
}

export async function targetFromSettings(settings: ResolvedSettings): Promise<Target> {
	const {keywords} = settings;
	if (keywords['password'] !== undefined) return buildTarget(settings, {});
	const file = passwordFile(settings);
	const perHost: Record<number, string> = {};
	for (const [index, h] of settings.hosts.entries()) {
		// libpq matches its default socket directory as "localhost".
		const host = h.host === defaultHost() && h.host.startsWith('/') ? 'localhost' : h.host;
		const found = await lookupPassword(file, {host, port: h.port, database: keywords['dbname']!, user: keywords['user']!});
		if (found !== undefined) perHost[index] = found;
	}
	return buildTarget(settings, Object.keys(perHost).length > 0 ? {passfile: file, perHost} : {passfile: file});
}

/**
 * The target without the password file's answer (synchronous): its display
 * form, the state directory's key, its secrets. Undefined when nothing names
 * a database.
 */
export function describeTarget(given: string | undefined, env: Env, givenSource?: string): Target | undefined {
	const settings = resolveSettings(given, env, givenSource);
	return settings ? buildTarget(settings, {passfile: passwordFile(settings)}) : undefined;
}

/** --database-url or DATABASE_URL: which of the two gave this value. */
export function givenSourceOf(given: string | undefined, env: Env): string | undefined {
	if (given === undefined) return undefined;
	return given === env['DATABASE_URL'] ? 'DATABASE_URL' : '--database-url';
}
