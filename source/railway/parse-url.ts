/**
 * Redis and MongoDB connection URLs, parsed once at the boundary.
 *
 * `redis://` / `rediss://` (one host, DB number from the path) and
 * `mongodb://` (one or more hosts) / `mongodb+srv://` (one host, no port; the
 * driver looks the hosts up in DNS). The parser is our own rather than
 * WHATWG `URL`, which rejects MongoDB host lists and would put a raw password
 * into its error text. A `ServiceUrl` carries the secrets it holds, so callers
 * can redact anything derived from it; `masked` and `display` never hold one.
 */
import {UserError} from '../errors.js';

export type ServiceType = 'redis' | 'mongodb';
export type ServiceScheme = 'redis' | 'rediss' | 'mongodb' | 'mongodb+srv';

export type ServiceHost = {readonly host: string; readonly port: number};

export type ServiceUrl = {
	readonly type: ServiceType;
	readonly scheme: ServiceScheme;
	readonly username: string | undefined;
	readonly password: string | undefined;
	/** Every host in the URL; Redis and SRV URLs have exactly one. */
	readonly hosts: readonly ServiceHost[];
	/** The first host (what the `platform.databases` row records). */
	readonly host: string;
	/** The first host's port; 27017 for `mongodb+srv` (which has none), 6379 / 27017 by default. */
	readonly port: number;
	/** Redis: the DB number as text ('0' by default). MongoDB: the path's database, if any. */
	readonly database: string | undefined;
	readonly tls: boolean;
	/** `mongodb+srv`: hosts come from DNS SRV records. */
	readonly srv: boolean;
	/** Query options that are not secrets, in URL order. */
	readonly options: Readonly<Record<string, string>>;
	/** The URL with its password (and secret options) replaced by ****. */
	readonly masked: string;
	/** type user@host:port/db, never a password. */
	readonly display: string;
	/** Every secret this URL holds (raw URL, password, its encoded form, secret options). */
	readonly secrets: readonly string[];
	/** The URL exactly as given (a secret: for drivers only). */
	readonly raw: string;
	/** JSON.stringify gives the masked form only (no password, raw URL or secrets). */
	readonly toJSON: () => Record<string, unknown>;
};

const MASK = '****';
const SECRET_OPTION = /pass|secret|token|authmechanismproperties/i;
const SCHEMES: Readonly<Record<string, {type: ServiceType; scheme: ServiceScheme}>> = {
	'redis:': {type: 'redis', scheme: 'redis'},
	'rediss:': {type: 'redis', scheme: 'rediss'},
	'mongodb:': {type: 'mongodb', scheme: 'mongodb'},
	'mongodb+srv:': {type: 'mongodb', scheme: 'mongodb+srv'},
};

/**
 * Masks a service URL that may be malformed: everything between the scheme's
 * `user:` and the last `@` becomes ****, and so does any secret option value.
 */
export function maskServiceUrl(raw: string): string {
	const schemeEnd = raw.indexOf('://');
	let out = raw;
	if (schemeEnd >= 0) {
		const head = raw.slice(0, schemeEnd + 3);
		const rest = raw.slice(schemeEnd + 3);
		const at = rest.lastIndexOf('@');
		if (at >= 0) {
			const userinfo = rest.slice(0, at);
			const colon = userinfo.indexOf(':');
			const masked = colon >= 0 ? `${userinfo.slice(0, colon)}:${MASK}` : userinfo;
			out = `${head}${masked}${rest.slice(at)}`;
		}
	} else if (raw.includes('@')) {
		// Not even a scheme: show nothing before the last @.
		out = `${MASK}${raw.slice(raw.lastIndexOf('@'))}`;
	}
	return out.replace(/([?&])([^=&#]*)=([^&#]*)/g, (whole, sep: string, key: string) =>
		SECRET_OPTION.test(key) ? `${sep}${key}=${MASK}` : whole,
	);
}

function fail(source: string, raw: string, what: string, next: string): never {
	throw new UserError(`${source} (${maskServiceUrl(raw)}) ${what}. ${next}`);
}

function decode(part: string, source: string, raw: string, label: string): string {
	try {
		return decodeURIComponent(part);
	} catch {
		return fail(
			source,
			raw,
			`has a malformed percent-escape in its ${label}`,
			'Percent-encode special characters in the user name and password (for example `%40` for @, `%25` for %), or copy the URL again from the Railway service’s Variables tab.',
		);
	}
}

function parseHost(part: string, defaultPort: number, allowPort: boolean, source: string, raw: string): ServiceHost {
	let host: string;
	let portText: string | undefined;
	if (part.startsWith('[')) {
		const close = part.indexOf(']');
		if (close < 0) fail(source, raw, `has an unterminated IPv6 address \`${part}\``, 'Write IPv6 hosts as [address]:port.');
		host = part.slice(1, close);
		const after = part.slice(close + 1);
		if (after !== '' && !after.startsWith(':')) fail(source, raw, `has unexpected text after the IPv6 address \`${part}\``, 'Write IPv6 hosts as [address]:port.');
		portText = after === '' ? undefined : after.slice(1);
	} else {
		const colon = part.lastIndexOf(':');
		host = colon >= 0 ? part.slice(0, colon) : part;
		portText = colon >= 0 ? part.slice(colon + 1) : undefined;
	}
	if (host === '') fail(source, raw, 'has no host name', 'Give the URL the service’s host, such as redis://default:<password>@<host>:<port>.');
	if (portText !== undefined && !allowPort) {
		fail(source, raw, 'gives a port, which a mongodb+srv URL must not have (the port comes from the DNS SRV record)', 'Remove the `:port`, or use a mongodb:// URL with explicit hosts and ports.');
	}
	let port = defaultPort;
	if (portText !== undefined) {
		port = /^\d{1,5}$/.test(portText) ? Number(portText) : Number.NaN;
		if (!Number.isInteger(port) || port < 1 || port > 65535) {
			fail(source, raw, `has the port \`${portText}\`, which is not a number from 1 to 65535`, 'Correct the port in the URL.');
		}
	}
	return {host: host.toLowerCase(), port};
}

/** Parses a `redis://`, `rediss://`, `mongodb://` or `mongodb+srv://` URL. */
export function parseServiceUrl(raw: string, source = 'The service URL'): ServiceUrl {
	const text = raw.trim();
	const schemeEnd = text.indexOf('://');
	if (text === '' || schemeEnd < 0) {
		fail(source, text, 'is not a URL', 'Give a URL such as redis://default:<password>@<host>:6379 or mongodb://<user>:<password>@<host>:27017/<database>.');
	}
	const schemeText = `${text.slice(0, schemeEnd).toLowerCase()}:`;
	const kind = SCHEMES[schemeText];
	if (!kind) {
		fail(
			source,
			text,
			`uses the scheme \`${schemeText.slice(0, -1)}\``,
			'Only redis://, rediss://, mongodb:// and mongodb+srv:// URLs are registered; check that the variable holds the service’s connection URL.',
		);
	}
	const rest = text.slice(schemeEnd + 3);
	const at = rest.lastIndexOf('@');
	const userinfo = at >= 0 ? rest.slice(0, at) : undefined;
	const afterUser = at >= 0 ? rest.slice(at + 1) : rest;
	const authorityEnd = afterUser.search(/[/?#]/);
	const authority = authorityEnd >= 0 ? afterUser.slice(0, authorityEnd) : afterUser;
	const tailText = authorityEnd >= 0 ? afterUser.slice(authorityEnd) : '';
	const hashAt = tailText.indexOf('#');
	const beforeHash = hashAt >= 0 ? tailText.slice(0, hashAt) : tailText;
	const queryAt = beforeHash.indexOf('?');
	const pathText = queryAt >= 0 ? beforeHash.slice(0, queryAt) : beforeHash;
	const queryText = queryAt >= 0 ? beforeHash.slice(queryAt + 1) : '';

	let username: string | undefined;
	let password: string | undefined;
	if (userinfo !== undefined) {
		const colon = userinfo.indexOf(':');
		const userPart = colon >= 0 ? userinfo.slice(0, colon) : userinfo;
		const passPart = colon >= 0 ? userinfo.slice(colon + 1) : undefined;
		username = userPart === '' ? undefined : decode(userPart, source, text, 'user name');
		password = passPart === undefined || passPart === '' ? undefined : decode(passPart, source, text, 'password');
	}

	const secrets = new Set<string>();
	if (text.length >= 3) secrets.add(text);
	if (password !== undefined && password.length >= 3) {
		secrets.add(password);
		secrets.add(encodeURIComponent(password));
	}

	const options: Record<string, string> = {};
	let maskedQuery = '';
	if (queryText !== '') {
		const parts: string[] = [];
		for (const pair of queryText.split('&')) {
			if (pair === '') continue;
			const eq = pair.indexOf('=');
			const key = decode(eq >= 0 ? pair.slice(0, eq) : pair, source, text, 'options');
			const value = decode(eq >= 0 ? pair.slice(eq + 1) : '', source, text, 'options');
			if (SECRET_OPTION.test(key)) {
				if (value.length >= 3) secrets.add(value);
				parts.push(`${eq >= 0 ? pair.slice(0, eq) : pair}=${MASK}`);
				continue;
			}
			options[key] = value;
			parts.push(pair);
		}
		if (parts.length > 0) maskedQuery = `?${parts.join('&')}`;
	}

	if (authority === '') fail(source, text, 'has no host', 'Give the URL the service’s host, such as redis://default:<password>@<host>:<port>.');
	const srv = kind.scheme === 'mongodb+srv';
	const defaultPort = kind.type === 'redis' ? 6379 : 27017;
	const hosts = authority.split(',').map((part) => parseHost(part, defaultPort, !srv, source, text));
	if (hosts.length > 1 && kind.type === 'redis') {
		fail(source, text, 'lists several hosts', 'A Redis URL names one server; give the primary’s URL.');
	}
	if (hosts.length > 1 && srv) {
		fail(source, text, 'lists several hosts', 'A mongodb+srv URL names one DNS name; use mongodb:// for an explicit host list.');
	}

	const pathBody = pathText.replace(/^\//, '');
	let database: string | undefined;
	if (kind.type === 'redis') {
		const dbText = decode(pathBody, source, text, 'path');
		const fromOption = options['db'];
		const candidate = dbText !== '' ? dbText : (fromOption ?? '0');
		if (!/^\d{1,5}$/.test(candidate)) {
			fail(source, text, `selects the Redis database \`${candidate}\`, which is not a number`, 'A Redis URL’s path is the database number, such as /0; remove or correct it.');
		}
		database = String(Number(candidate));
	} else {
		const dbText = decode(pathBody, source, text, 'path');
		if (/[/\\. "$]/.test(dbText)) {
			fail(source, text, `names the database \`${dbText}\`, which MongoDB does not allow`, 'A MongoDB database name cannot contain / \\ . " $ or spaces; correct the path.');
		}
		database = dbText === '' ? undefined : dbText;
	}

	const flag = (name: string): boolean | undefined => {
		const key = Object.keys(options).find((k) => k.toLowerCase() === name);
		if (key === undefined) return undefined;
		const value = (options[key] ?? '').toLowerCase();
		if (value === 'true') return true;
		if (value === 'false') return false;
		return fail(source, text, `sets \`${key}=${options[key] ?? ''}\``, `Set ${key} to true or false.`);
	};
	const tlsOption = flag('tls') ?? flag('ssl');
	const tls = kind.scheme === 'rediss' || (tlsOption ?? srv);

	const first = hosts[0]!;
	const hostsText = hosts.map((h) => (h.host.includes(':') ? `[${h.host}]` : h.host) + (srv ? '' : `:${h.port}`)).join(',');
	const userText = username === undefined ? '' : encodeURIComponent(username);
	const userinfoMasked = userinfo === undefined ? '' : `${userText}${password === undefined ? '' : `:${MASK}`}@`;
	const masked = `${kind.scheme}://${userinfoMasked}${hostsText}${pathText}${maskedQuery}`;
	const who = username === undefined ? '' : `${username}@`;
	const display = `${kind.type} ${who}${hostsText}${database === undefined ? '' : `/${database}`}${tls ? ' (TLS)' : ''}`;

	const port = srv ? 27017 : first.port;
	return {
		type: kind.type,
		scheme: kind.scheme,
		username,
		password,
		hosts,
		host: first.host,
		port,
		database,
		tls,
		srv,
		options,
		masked,
		display,
		secrets: [...secrets],
		raw: text,
		toJSON: () => ({type: kind.type, scheme: kind.scheme, username, hosts, host: first.host, port, database, tls, srv, options, masked, display}),
	};
}
