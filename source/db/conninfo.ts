/**
 * libpq's two spellings of a connection, parsed by libpq's own rules
 * (https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-CONNSTRING):
 *
 * - a URI: postgresql://[user[:password]@][host][:port][,host[:port]…][/dbname][?key=value&…]
 *   (postgres:// too; every part percent-decoded; an IPv6 host in brackets;
 *   several hosts separated by commas);
 * - keyword/value pairs: `host=db1 port=5432 dbname='my db'` (single quotes,
 *   \' and \\ escapes).
 *
 * A string that is neither is a database name, as for psql. The result is a
 * map of libpq keywords; unknown keywords are refused the way libpq refuses
 * them. Why not pg-connection-string for URIs: it refuses multi-host URIs,
 * reads certificate files while parsing, and knows no keyword/value form; it
 * is used where it is right, for the TLS options (see tls.ts).
 */
import {UserError} from '../errors.js';

/** Every libpq connection keyword and the environment variable that supplies it when unset. */
export const KEYWORDS: Readonly<Record<string, string | undefined>> = {
	service: 'PGSERVICE',
	user: 'PGUSER',
	password: 'PGPASSWORD',
	passfile: 'PGPASSFILE',
	channel_binding: 'PGCHANNELBINDING',
	connect_timeout: 'PGCONNECT_TIMEOUT',
	dbname: 'PGDATABASE',
	host: 'PGHOST',
	hostaddr: 'PGHOSTADDR',
	port: 'PGPORT',
	client_encoding: 'PGCLIENTENCODING',
	options: 'PGOPTIONS',
	application_name: 'PGAPPNAME',
	fallback_application_name: undefined,
	keepalives: undefined,
	keepalives_idle: undefined,
	keepalives_interval: undefined,
	keepalives_count: undefined,
	tcp_user_timeout: undefined,
	sslmode: 'PGSSLMODE',
	sslnegotiation: 'PGSSLNEGOTIATION',
	sslcompression: 'PGSSLCOMPRESSION',
	sslcert: 'PGSSLCERT',
	sslkey: 'PGSSLKEY',
	sslcertmode: 'PGSSLCERTMODE',
	sslpassword: undefined,
	sslrootcert: 'PGSSLROOTCERT',
	sslcrl: 'PGSSLCRL',
	sslcrldir: 'PGSSLCRLDIR',
	sslsni: 'PGSSLSNI',
	requirepeer: 'PGREQUIREPEER',
	require_auth: 'PGREQUIREAUTH',
	ssl_min_protocol_version: 'PGSSLMINPROTOCOLVERSION',
	ssl_max_protocol_version: 'PGSSLMAXPROTOCOLVERSION',
	gssencmode: 'PGGSSENCMODE',
	krbsrvname: 'PGKRBSRVNAME',
	gsslib: 'PGGSSLIB',
	gssdelegation: 'PGGSSDELEGATION',
	replication: undefined,
	target_session_attrs: 'PGTARGETSESSIONATTRS',
	load_balance_hosts: 'PGLOADBALANCEHOSTS',
};

export type Keywords = Record<string, string>;

const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'];

export function isUri(text: string): boolean {
	return /^postgres(?:ql)?:\/\//i.test(text);
}

/** Parses a URI, a keyword/value string, or a bare database name into libpq keywords. */
export function parseConninfo(raw: string, source: string): Keywords {
	const text = raw.trim();
	if (isUri(text)) return checked(parseUri(text, source), source);
	if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
		const scheme = text.slice(0, text.indexOf(':'));
		throw new UserError(`${source} uses the scheme \`${scheme}\`, but runbook only drives PostgreSQL. Give a postgres:// or postgresql:// URL, or keyword/value pairs such as \`host=db.example.com dbname=app user=migrator\`.`);
	}
	if (text.includes('=')) return checked(parseKeywordValue(text, source), source);
	if (text === '') throw new UserError(`${source} is empty. Give a postgres:// URL or keyword/value pairs (host=… dbname=…), or leave it unset.`);
	return {dbname: text};
}

function checked(keywords: Keywords, source: string): Keywords {
	for (const key of Object.keys(keywords)) {
		if (!(key in KEYWORDS)) {
			throw new UserError(`${source} has \`${key}\`, which is not a libpq connection option (psql would refuse it too). The options are listed at https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-PARAMKEYWORDS.`);
		}
	}
	const mode = keywords['sslmode'];
	if (mode !== undefined && !SSL_MODES.includes(mode)) {
		throw new UserError(`${source} has sslmode=${mode}: libpq knows ${SSL_MODES.join(', ')}.`);
	}
	return keywords;
}

function decode(part: string, what: string, source: string): string {
	try {
		return decodeURIComponent(part);
	} catch {
		throw new UserError(`${source} has a malformed percent-escape in its ${what}. Encode special characters as %XX (for example @ as %40 in a password).`);
	}
}

/** libpq's URI grammar: userinfo up to the first '@' before any '/', then hosts, then /dbname, then ?params. */
function parseUri(text: string, source: string): Keywords {
	const out: Keywords = {};
	let rest = text.replace(/^postgres(?:ql)?:\/\//i, '');
	const hash = rest.indexOf('#');
	if (hash >= 0) rest = rest.slice(0, hash);
	const at = rest.search(/[@/]/);
	if (at >= 0 && rest[at] === '@') {
		const userinfo = rest.slice(0, at);
		rest = rest.slice(at + 1);
		const colon = userinfo.indexOf(':');
		const user = colon >= 0 ? userinfo.slice(0, colon) : userinfo;
		if (user) out['user'] = decode(user, 'user name', source);
		if (colon >= 0) out['password'] = decode(userinfo.slice(colon + 1), 'password', source);
	}
	const hosts: string[] = [];
	const ports: string[] = [];
	let anyPort = false;
	for (;;) {
		let host: string;
		if (rest.startsWith('[')) {
			const close = rest.indexOf(']');
			if (close < 0) throw new UserError(`${source} has an IPv6 host without its closing bracket.`);
			host = rest.slice(1, close);
			rest = rest.slice(close + 1);
		} else {
			const end = rest.search(/[:/?,]/);
			host = end < 0 ? rest : rest.slice(0, end);
			rest = end < 0 ? '' : rest.slice(end);
		}
		let port = '';
		if (rest.startsWith(':')) {
			const end = rest.slice(1).search(/[/?,]/);
			port = end < 0 ? rest.slice(1) : rest.slice(1, end + 1);
			rest = end < 0 ? '' : rest.slice(end + 1);
			anyPort = true;
		}
		hosts.push(decode(host, 'host', source));
		ports.push(decode(port, 'port', source));
		if (!rest.startsWith(',')) break;
		rest = rest.slice(1);
	}
	if (hosts.some((h) => h !== '')) out['host'] = hosts.join(',');
	if (anyPort) out['port'] = ports.join(',');
	if (rest.startsWith('/')) {
		const q = rest.indexOf('?');
		const db = q < 0 ? rest.slice(1) : rest.slice(1, q);
		if (db) out['dbname'] = decode(db, 'database name', source);
		rest = q < 0 ? '' : rest.slice(q);
	}
	if (rest.startsWith('?')) {
		for (const pair of rest.slice(1).split('&')) {
			if (!pair) continue;
			const eq = pair.indexOf('=');
			if (eq < 0) throw new UserError(`${source} has the query parameter \`${pair}\` without a value (write key=value).`);
			let key = decode(pair.slice(0, eq), 'query', source);
			let value = decode(pair.slice(eq + 1), 'query', source);
			// libpq accepts the JDBC spelling ssl=true as sslmode=require.
			if (key === 'ssl' && value === 'true') {
				key = 'sslmode';
				value = 'require';
			}
			out[key] = value;
		}
	} else if (rest !== '') {
		throw new UserError(`${source} could not be read as a PostgreSQL URL near \`${rest.slice(0, 20)}\`. The form is postgres://user:password@host:port/dbname?key=value.`);
	}
	return out;
}

/** key = value pairs; values may be single-quoted with \' and \\ escapes. */
function parseKeywordValue(text: string, source: string): Keywords {
	const out: Keywords = {};
	let i = 0;
	const n = text.length;
	const space = (c: string | undefined) => c !== undefined && /\s/.test(c);
	while (i < n) {
		while (space(text[i])) i++;
		if (i >= n) break;
		const keyStart = i;
		while (i < n && text[i] !== '=' && !space(text[i])) i++;
		const key = text.slice(keyStart, i);
		while (space(text[i])) i++;
		if (text[i] !== '=') throw new UserError(`${source}: missing "=" after "${key}" in the connection string (the form is key=value key='quoted value').`);
		i++;
		while (space(text[i])) i++;
		let value = '';
		if (text[i] === "'") {
			i++;
			let closed = false;
			while (i < n) {
				const c = text[i]!;
				if (c === '\\' && i + 1 < n) {
					value += text[i + 1];
					i += 2;
				} else if (c === "'") {
					i++;
					closed = true;
					break;
				} else {
					value += c;
					i++;
				}
			}
			if (!closed) throw new UserError(`${source}: unterminated quoted value for "${key}" in the connection string.`);
		} else {
			while (i < n && !space(text[i])) {
				if (text[i] === '\\' && i + 1 < n) {
					value += text[i + 1];
					i += 2;
				} else {
					value += text[i];
					i++;
				}
			}
		}
		out[key] = value;
	}
	return out;
}
