/**
 * Why a connection failed, in one clear paragraph — the same paragraph
 * whether the pg driver failed (a Node error code and message) or a
 * psql/pg_dump/pg_restore child did (libpq's stderr). Advice never weakens
 * TLS: a certificate that does not verify is a CA or host-name problem to
 * fix, never a reason to lower sslmode.
 */
import type {Target} from './target.js';
import {redact} from './target.js';

export type FailureKind =
	| 'tls-untrusted'
	| 'tls-hostname'
	| 'tls-unsupported'
	| 'auth'
	| 'no-password'
	| 'hba'
	| 'no-database'
	| 'refused'
	| 'dns'
	| 'timeout'
	| 'other';

const UNTRUSTED_CODES = new Set([
	'SELF_SIGNED_CERT_IN_CHAIN',
	'DEPTH_ZERO_SELF_SIGNED_CERT',
	'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
	'UNABLE_TO_GET_ISSUER_CERT',
	'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
	'CERT_UNTRUSTED',
	'CERT_SIGNATURE_FAILURE',
	'CERT_HAS_EXPIRED',
	'CERT_NOT_YET_VALID',
	'CERT_REJECTED',
]);

/** Classifies a driver error (code + message) or a child's stderr text. */
export function classifyFailure(input: {code?: string; message: string}): FailureKind {
	const {code, message} = input;
	if (code && UNTRUSTED_CODES.has(code)) return 'tls-untrusted';
	if (code === 'ERR_TLS_CERT_ALTNAME_INVALID' || /does not match host name/i.test(message)) return 'tls-hostname';
	if (/certificate verify failed|self[- ]signed certificate|unable to (?:verify|get (?:local )?issuer)|certificate has expired/i.test(message)) return 'tls-untrusted';
	if (/does not support SSL/i.test(message)) return 'tls-unsupported';
	if (code === 'NO_PASSWORD' || /no password supplied|client password must be a string/i.test(message)) return 'no-password';
	if (code === '28P01' || /password authentication failed/i.test(message)) return 'auth';
	if (/no pg_hba\.conf entry/i.test(message)) return 'hba';
	if (code === '28000') return 'auth';
	if (code === '3D000' || /database "[^"]*" does not exist/i.test(message)) return 'no-database';
	if (code === 'ECONNREFUSED' || /connection refused/i.test(message)) return 'refused';
	// A socket directory without a server's socket.
	if (code === 'ENOENT' || /No such file or directory/i.test(message)) return 'refused';
	if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || /could not translate host name|getaddrinfo/i.test(message)) return 'dns';
	if (code === 'ETIMEDOUT' || /timeout expired|timed? ?out/i.test(message)) return 'timeout';
	return 'other';
}

function where(target: Target): string {
	return target.hosts.map((h) => `${h.host}:${h.port}`).join(', ');
}

/** The advice for a kind of failure: what is wrong and what to do, never "lower sslmode". */
export function adviceFor(kind: FailureKind, target: Target): string {
	const mode = target.tls.mode;
	switch (kind) {
		case 'tls-untrusted':
			return `The server's TLS certificate could not be verified against ${target.tls.rootCert ?? "the system's CAs"} (sslmode=${mode}): it is not signed by that CA, or it has expired. Give sslrootcert the CA certificate that signed the server's certificate (your provider publishes it).`;
		case 'tls-hostname':
			return `The server's TLS certificate does not name the host ${target.host} (sslmode=verify-full checks the host name). Connect with a host name the certificate lists, or have the certificate reissued for this name.`;
		case 'tls-unsupported':
			return `The server at ${where(target)} does not offer TLS, and sslmode=${mode} requires it. Check that this is the right server and port, or have TLS enabled on it (ssl=on).`;
		case 'no-password':
			return `The server asks for a password for \`${target.user}\` and none was given: put it in ${target.params['passfile'] ?? '~/.pgpass'} (host:port:database:user:password, mode 0600), PGPASSWORD, or the URL.`;
		case 'auth':
			return `The server refused the credentials for user \`${target.user}\`. Check the user and password (the password is not shown here).`;
		case 'hba':
			return mode === 'disable' || mode === 'allow'
				? `The server's pg_hba.conf has no entry for this user, database and address without TLS. If it accepts only TLS (hostssl), set sslmode=require or stronger; otherwise ask for an entry.`
				: `The server's pg_hba.conf has no entry for this user, database and address. Ask its administrator for one, or check the user and database names.`;
		case 'no-database':
			return `The database \`${target.database}\` does not exist on ${where(target)}. Check the database name (dbname, PGDATABASE or the end of the URL).`;
		case 'refused':
			return `Nothing accepts connections on ${where(target)}. Check the host and port, and that the server is running and reachable from here.`;
		case 'dns':
			return `The host name could not be resolved (${where(target)}). Check the host and this machine's DNS.`;
		case 'timeout':
			return `Connecting to ${where(target)} timed out. Check the network path (firewall, VPN) to the server, or raise connect_timeout.`;
		case 'other':
			return `Check the connection settings (runbook conninfo shows them as resolved).`;
	}
}

/** The whole paragraph: target, source, the raw reason (secrets redacted), the advice. */
export function explainFailure(target: Target, raw: {code?: string; message: string}): {kind: FailureKind; message: string} {
	const kind = classifyFailure(raw);
	const reason = redact(raw.message, target.secrets).replace(/\s+/g, ' ').trim().replace(/\.$/, '');
	return {kind, message: `Could not connect to ${target.display} (via ${target.source.label}): ${reason}. ${adviceFor(kind, target)} Nothing was changed.`};
}

/** A libpq child's stderr that says the connection failed: the same paragraph the driver gives, or undefined. */
export function childConnectionFailure(target: Target, stderrLines: readonly string[]): {kind: FailureKind; message: string} | undefined {
	const text = stderrLines.join(' ');
	if (!/connection to server .* failed|could not connect to server|fe_sendauth|SSL error|does not support SSL|root certificate file/i.test(text)) return undefined;
	// libpq prefixes "psql: error: connection to server at "h" (addr), port N failed: <reason>".
	const reason = /failed:\s*(.*)$/i.exec(text)?.[1] ?? text;
	return explainFailure(target, {message: reason});
}
