/**
 * The one place where a resolved PostgreSQL connection becomes text, driver
 * config or a child's environment.
 *
 * A `Target` is built once (db/resolve.ts, libpq's rules) from a connection
 * string, the PG* variables, a service and the password file. Everything
 * else asks it for `display` (user@host:port/db), `masked` (a URL with the
 * password replaced by ****), the `pg` driver's attempts, or the environment
 * a child process (psql, pg_dump, pg_restore) needs — the same settings for
 * both. The password only ever goes to the `pg` driver and to a child's
 * PGPASSWORD (or stays in the password file, named by PGPASSFILE): never to
 * argv, a file of ours, or a screen.
 */
import type {ClientConfig} from 'pg';
import type {ConnectionOptions} from 'node:tls';
import os from 'node:os';
import {KEYWORDS, parseConninfo, type Keywords} from './conninfo.js';
import {planTls, type TlsPlan} from './tls.js';

export type TargetSource = {
	/** url: --database-url or DATABASE_URL; env: PG* variables; service: PGSERVICE; sandbox: the built-in rehearsal server. */
	readonly kind: 'url' | 'env' | 'service' | 'sandbox';
	/** For the header: DATABASE_URL, --database-url, PG* variables, service NAME, sandbox. */
	readonly label: string;
	/** Which variables or file filled in the rest ("PGHOST, PGDATABASE", "[prod] in ~/.pg_service.conf"). */
	readonly detail?: string;
	readonly service?: string;
};

export type HostPort = {readonly host: string; readonly port: number; readonly hostaddr?: string};

/** One way the driver tries to connect: a host, plain or TLS (libpq's order). */
export type ConnectAttempt = {readonly host: HostPort; readonly tls: boolean; readonly config: ClientConfig};

export type Target = {
	/** The first host (the only one, usually). */
	readonly host: string;
	readonly port: number;
	readonly hosts: readonly HostPort[];
	readonly user: string;
	readonly database: string;
	/** Every resolved libpq keyword except the password (sslmode, options, connect_timeout, …). */
	readonly params: Readonly<Record<string, string>>;
	readonly source: TargetSource;
	readonly tls: TlsPlan;
	/** user@host:port/db (hosts joined by commas), never a password. */
	readonly display: string;
	/** A URL with the password replaced by ****. */
	readonly masked: string;
	/** Every secret that must never be printed (password, and the raw connection string). */
	readonly secrets: readonly string[];
	/** Where the password came from: given (URL, conninfo, PGPASSWORD, service), the password file, or none. */
	readonly passwordFrom: 'given' | 'passfile' | 'none';
	/** Config for `new pg.Client(...)`: the first attempt (connect() makes them all, in libpq's order). */
	readonly clientConfig: (overrides?: Partial<ClientConfig>) => ClientConfig;
	/** Every attempt the driver makes, in libpq's order: each host in turn, TLS then plain for prefer. */
	readonly attempts: (overrides?: Partial<ClientConfig>) => ConnectAttempt[];
	/** Environment for psql / pg_dump / pg_restore: the same settings as libpq variables; inherited PG* variables cleared. */
	readonly childEnv: () => Record<string, string | undefined>;
	/** The same target, another database on the same server. */
	readonly withDatabase: (database: string) => Target;
};

const MASK = '****';

/** connect_timeout when none is set (libpq would wait forever; a 2 AM window should not). */
export const DEFAULT_CONNECT_TIMEOUT_S = 10;

/** Replace a URL's password (and any `password=` parameter or keyword) with ****. */
export function maskUrl(text: string): string {
	return text
		.replace(/([a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*:)([^@\s/]*)@/gi, (_m, head: string) => `${head}${MASK}@`)
		.replace(/([?&]password=)[^&\s]*/gi, `$1${MASK}`)
		.replace(/(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)/gi, `$1${MASK}`);
}

/** Keywords libpq reads from the environment that a child gets; the rest have no variable and stay with the driver. */
const CHILD_VARIABLES = Object.entries(KEYWORDS).filter(([key, variable]) => variable !== undefined && !['service', 'password', 'passfile', 'application_name'].includes(key));

export type PasswordSource = {readonly passfile?: string; readonly perHost?: Readonly<Record<number, string>>};

export type TargetSettings = {
	readonly keywords: Keywords;
	readonly hosts: readonly HostPort[];
	readonly source: TargetSource;
	readonly home: string;
	/** The raw connection string, a secret as a whole when it holds a password. */
	readonly raw?: string;
};

export function buildTarget(settings: TargetSettings, pass: PasswordSource): Target {
	const {keywords, hosts, source} = settings;
	const user = keywords['user']!;
	const database = keywords['dbname']!;
	const password = keywords['password'];
	const tls = planTls(keywords, settings.home);
	const params: Record<string, string> = {};
	for (const [key, value] of Object.entries(keywords)) if (key !== 'password') params[key] = value;
	const hostText = (h: HostPort) => `${h.host.includes(':') ? `[${h.host}]` : h.host}:${h.port}`;
	const hostList = hosts.map(hostText).join(',');
	const extra = Object.entries(params).filter(([key]) => !['host', 'port', 'user', 'dbname', 'hostaddr'].includes(key) || (key === 'hostaddr' && params['hostaddr']));
	const query = new URLSearchParams(extra).toString();
	const urlHosts = hosts.map((h) => (h.host.startsWith('/') ? encodeURIComponent(h.host) : hostText(h))).join(',');
	const masked = `postgres://${encodeURIComponent(user)}${password !== undefined || pass.perHost ? `:${MASK}` : ''}@${urlHosts}/${encodeURIComponent(database)}${query ? `?${query}` : ''}`;
	const secretList = [password, settings.raw !== undefined && password !== undefined ? settings.raw : undefined, ...Object.values(pass.perHost ?? {})].filter((s): s is string => s !== undefined && s.length >= 3);
	for (const s of [...secretList]) if (encodeURIComponent(s) !== s) secretList.push(encodeURIComponent(s));
	// libpq: 1 counts as 2; 0 or negative waits forever, and unset too — runbook gives up after 10 s instead, driver and children alike.
	const timeoutSeconds = Number(keywords['connect_timeout'] ?? String(DEFAULT_CONNECT_TIMEOUT_S));
	const timeoutMs = timeoutSeconds > 0 ? Math.max(2, timeoutSeconds) * 1000 : 0;
	const passwordFor = (index: number) => password ?? pass.perHost?.[index];
	const configFor = (index: number, ssl: false | ConnectionOptions, overrides: Partial<ClientConfig>): ClientConfig => {
		const h = hosts[index]!;
		const pw = passwordFor(index);
		return {
			host: h.hostaddr ?? h.host,
			port: h.port,
			user,
			database,
			// A function keeps pg from reading PGPASSWORD or ~/.pgpass on its own: this target already decided.
			password: pw === undefined ? noPassword(h, user, database, pass.passfile) : pw,
			ssl: ssl === false ? false : h.hostaddr ? {...ssl, servername: h.host} : ssl,
			...(keywords['options'] ? {options: keywords['options']} : {}),
			...(keywords['client_encoding'] ? {client_encoding: keywords['client_encoding']} : {}),
			...(keywords['keepalives'] === '0' ? {} : {keepAlive: true}),
			connectionTimeoutMillis: timeoutMs,
			...overrides,
		};
	};
	const attempts = (overrides: Partial<ClientConfig> = {}): ConnectAttempt[] =>
		hosts.flatMap((h, index) => tls.driverAttempts.map((ssl) => ({host: h, tls: ssl !== false, config: configFor(index, ssl, overrides)})));
	return {
		host: hosts[0]!.host,
		port: hosts[0]!.port,
		hosts,
		user,
		database,
		params,
		source,
		tls,
		display: `${user}@${hostList}/${database}`,
		masked,
		secrets: [...new Set(secretList)],
		passwordFrom: password !== undefined ? 'given' : pass.perHost ? 'passfile' : 'none',
		clientConfig: (overrides = {}) => configFor(0, tls.driverAttempts[0]!, overrides),
		attempts,
		childEnv: () => {
			const env: Record<string, string | undefined> = {PGSERVICE: undefined, PGSERVICEFILE: undefined, PGPASSWORD: undefined, PGPASSFILE: undefined};
			for (const [key, variable] of CHILD_VARIABLES) env[variable!] = key === 'host' || key === 'port' || key === 'hostaddr' ? undefined : params[key];
			env['PGHOST'] = hosts.map((h) => h.host).join(',');
			env['PGPORT'] = hosts.map((h) => String(h.port)).join(',');
			if (hosts.some((h) => h.hostaddr)) env['PGHOSTADDR'] = hosts.map((h) => h.hostaddr ?? '').join(',');
			if (password !== undefined) env['PGPASSWORD'] = password;
			// Without a given password, the child reads the same password file the driver read, per host, as libpq does.
			else if (pass.passfile) env['PGPASSFILE'] = pass.passfile;
			env['PGCONNECT_TIMEOUT'] = String(timeoutMs / 1000);
			return env;
		},
		withDatabase: (other: string) => buildTarget({...settings, keywords: {...keywords, dbname: other}, raw: undefined}, pass),
	};
}

/** The driver's password when there is none: fail as libpq does ("no password supplied"), never try an empty one. */
function noPassword(h: HostPort, user: string, database: string, passfile: string | undefined): () => Promise<string> {
	return async () => {
		const error = new Error(`fe_sendauth: no password supplied (the server at ${h.host}:${h.port} asks ${user} for a password for ${database}${passfile ? `, and ${passfile} has none for it` : ''})`);
		Object.assign(error, {code: 'NO_PASSWORD'});
		throw error;
	};
}

/**
 * A target from one connection string alone, without the environment, the
 * password file or a service: for connections runbook makes itself (the
 * sandbox's superuser, a rehearsal server, tests). The operator's target
 * comes from db/resolve.ts.
 */
export function parseTarget(raw: string, source = 'the database URL'): Target {
	const keywords = parseConninfo(raw, source);
	keywords['host'] ||= 'localhost';
	keywords['port'] ||= '5432';
	keywords['user'] ||= os.userInfo().username;
	keywords['dbname'] ||= keywords['user']!;
	keywords['sslmode'] ||= 'prefer';
	const ports = keywords['port'].split(',');
	const hosts = keywords['host'].split(',').map((host, i) => ({host: host || 'localhost', port: Number(ports.length === 1 ? ports[0] : ports[i]) || 5432}));
	return buildTarget({keywords, hosts, source: {kind: 'url', label: source}, home: os.homedir(), raw}, {});
}

/** Remove every known secret from a piece of text (defence in depth). */
export function redact(text: string, secrets: readonly string[]): string {
	let out = maskUrl(text);
	for (const secret of secrets) {
		if (secret.length < 3) continue;
		out = out.split(secret).join(MASK);
	}
	return out;
}
