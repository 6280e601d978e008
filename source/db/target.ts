/**
 * The one place where a PostgreSQL connection string becomes text.
 *
 * A `Target` is parsed once at the boundary (flag or environment). Everything
 * else asks it for `display` (user@host:port/db), `masked` (the URL with the
 * password replaced by ****), the `pg` client config, or the environment a
 * child process (psql, pg_dump, pg_restore) needs. The password only ever goes
 * to the `pg` driver and to a child's PGPASSWORD: never to argv, a file or a
 * screen.
 */
import type {ClientConfig} from 'pg';
import {UserError} from '../errors.js';

export type Target = {
	readonly host: string;
	readonly port: number;
	readonly user: string;
	readonly database: string;
	/** Query parameters other than the password (sslmode, application_name, …). */
	readonly params: Readonly<Record<string, string>>;
	/** user@host:port/db, never a password. */
	readonly display: string;
	/** The URL with the password replaced by ****. */
	readonly masked: string;
	/** The URL without any password, for argv of child processes. */
	readonly urlWithoutPassword: string;
	/** Every secret that must never be printed (password, and the raw URL). */
	readonly secrets: readonly string[];
	/** Config for `new pg.Client(...)`. */
	readonly clientConfig: (overrides?: Partial<ClientConfig>) => ClientConfig;
	/** Environment for psql / pg_dump / pg_restore (libpq variables). */
	readonly childEnv: () => Record<string, string>;
	/** The same target, another database on the same server. */
	readonly withDatabase: (database: string) => Target;
};

const MASK = '****';

/** Replace a URL's password (and any `password=` parameter) with ****. */
export function maskUrl(text: string): string {
	return text
		.replace(/([a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*:)([^@\s/]*)@/gi, (_m, head: string) => `${head}${MASK}@`)
		.replace(/([?&]password=)[^&\s]*/gi, `$1${MASK}`);
}

export function parseTarget(raw: string, source = 'the database URL'): Target {
	let url: URL;
	try {
		url = new URL(raw);
	} catch {
		throw new UserError(
			`${source} is not a valid URL (${maskUrl(raw)}). Give a PostgreSQL URL such as postgres://user:password@host:5432/dbname via --database-url or DATABASE_URL, or leave both unset to rehearse on the built-in sandbox.`,
		);
	}
	if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
		throw new UserError(
			`${source} uses the scheme \`${url.protocol.replace(/:$/, '')}\`, but runbook only drives PostgreSQL. Give a postgres:// or postgresql:// URL.`,
		);
	}
	const params: Record<string, string> = {};
	let paramPassword: string | undefined;
	for (const [key, value] of url.searchParams) {
		if (key === 'password') paramPassword = value;
		else params[key] = value;
	}
	const password = url.password ? decodeURIComponent(url.password) : paramPassword;
	const host = decodeURIComponent(url.hostname.replace(/^\[|\]$/g, '')) || (params['host'] ?? 'localhost');
	const port = url.port ? Number(url.port) : 5432;
	const user = url.username ? decodeURIComponent(url.username) : (params['user'] ?? process.env['USER'] ?? 'postgres');
	const database = decodeURIComponent(url.pathname.replace(/^\//, '')) || user;
	return buildTarget({host, port, user, database, params, password, raw});
}

function buildTarget(input: {
	host: string;
	port: number;
	user: string;
	database: string;
	params: Record<string, string>;
	password: string | undefined;
	raw?: string;
}): Target {
	const {host, port, user, database, params, password} = input;
	const hostPart = host.includes(':') ? `[${host}]` : host;
	const query = new URLSearchParams(params).toString();
	const suffix = query ? `?${query}` : '';
	const base = `postgres://${encodeURIComponent(user)}`;
	const tail = `@${hostPart}:${port}/${encodeURIComponent(database)}${suffix}`;
	const secrets = [password, input.raw].filter((s): s is string => Boolean(s) && s !== undefined && s.length >= 3);
	if (password) secrets.push(encodeURIComponent(password));
	return {
		host,
		port,
		user,
		database,
		params,
		display: `${user}@${hostPart}:${port}/${database}`,
		masked: `${base}${password ? `:${MASK}` : ''}${tail}`,
		urlWithoutPassword: `${base}${tail}`,
		secrets: [...new Set(secrets)],
		clientConfig: (overrides = {}) => ({
			host,
			port,
			user,
			database,
			...(password === undefined ? {} : {password}),
			...(sslFromParams(params) === undefined ? {} : {ssl: sslFromParams(params)}),
			...overrides,
		}),
		childEnv: () => {
			const env: Record<string, string> = {
				PGHOST: host,
				PGPORT: String(port),
				PGUSER: user,
				PGDATABASE: database,
			};
			if (password !== undefined) env['PGPASSWORD'] = password;
			if (params['sslmode']) env['PGSSLMODE'] = params['sslmode'];
			if (params['sslrootcert']) env['PGSSLROOTCERT'] = params['sslrootcert'];
			return env;
		},
		withDatabase: (other: string) => buildTarget({...input, database: other, raw: undefined}),
	};
}

function sslFromParams(params: Readonly<Record<string, string>>): ClientConfig['ssl'] | undefined {
	const mode = params['sslmode'];
	if (!mode || mode === 'disable' || mode === 'allow' || mode === 'prefer') return undefined;
	if (mode === 'require') return {rejectUnauthorized: false};
	return {rejectUnauthorized: true};
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
