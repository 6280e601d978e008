/**
 * One TLS decision for the pg driver and for psql/pg_dump/pg_restore, with
 * libpq's meaning of sslmode:
 *
 * - disable: no TLS. allow: plain first, TLS if the server insists.
 * - prefer (libpq's default): TLS first; plain if the server has no TLS or
 *   the TLS connection fails, as libpq retries.
 * - require: encrypt, do not verify — unless the root certificate file
 *   exists, when it verifies the chain as verify-ca does (libpq's rule).
 * - verify-ca: encrypt and verify the chain against sslrootcert.
 * - verify-full: verify-ca plus the host name against the certificate.
 *
 * sslrootcert defaults to ~/.postgresql/root.crt, sslcert/sslkey to
 * ~/.postgresql/postgresql.{crt,key}; a missing client certificate is not an
 * error (libpq sends none). `sslrootcert=system` means the system's CAs and
 * implies verify-full. The driver's TLS options come from pg-connection-string
 * in its libpq-compatible mode, given the files resolved here.
 */
import {existsSync, statSync} from 'node:fs';
import path from 'node:path';
import {parse as parseConnectionString} from 'pg-connection-string';
import type {ConnectionOptions} from 'node:tls';
import {UserError} from '../errors.js';
import type {Keywords} from './conninfo.js';

export type SslMode = 'disable' | 'allow' | 'prefer' | 'require' | 'verify-ca' | 'verify-full';

export type TlsPlan = {
	readonly mode: SslMode;
	/** The root certificate file that is used (absent when none exists or none is needed). */
	readonly rootCert?: string;
	readonly clientCert?: string;
	readonly clientKey?: string;
	/** What is checked, in words: "verify-full with CA /x/ca.crt". */
	readonly description: string;
	/** The driver's attempts per host, in libpq's order: false = plain, an object = TLS. */
	readonly driverAttempts: ReadonlyArray<false | ConnectionOptions>;
};

function expand(file: string, home: string): string {
	return file.startsWith('~/') ? path.join(home, file.slice(2)) : file;
}

/** libpq refuses a private key others can read (0600, or 0640 when owned by root). */
function checkKeyPermissions(file: string): void {
	const st = statSync(file);
	const uid = process.getuid?.();
	const tooOpen = st.uid === 0 && uid !== st.uid ? (st.mode & 0o037) !== 0 : (st.mode & 0o077) !== 0;
	if (tooOpen) {
		throw new UserError(`The private key file ${file} (sslkey) has group or world access; libpq refuses it and so does runbook. Make it readable by you only: chmod 600 ${file}.`);
	}
}

export function planTls(keywords: Readonly<Keywords>, home: string): TlsPlan {
	const mode = (keywords['sslmode'] || 'prefer') as SslMode;
	if (mode === 'disable') return {mode, description: 'no TLS (sslmode=disable)', driverAttempts: [false]};
	const rootSetting = keywords['sslrootcert'] || '~/.postgresql/root.crt';
	const system = rootSetting === 'system';
	if (system && mode !== 'verify-full') {
		throw new UserError(`sslrootcert=system needs sslmode=verify-full (libpq's rule: the system's CAs vouch for many servers, so the host name must be checked too); sslmode is ${mode}.`);
	}
	const rootFile = system ? undefined : expand(rootSetting, home);
	const rootExists = rootFile !== undefined && existsSync(rootFile);
	if ((mode === 'verify-ca' || mode === 'verify-full') && !system && !rootExists) {
		throw new UserError(
			`sslmode=${mode} verifies the server's certificate against a root certificate, and the file ${rootFile} ${keywords['sslrootcert'] ? '(sslrootcert)' : "(libpq's default, as sslrootcert is not set)"} does not exist. Give sslrootcert the CA certificate that signed the server's certificate (your provider publishes it), or sslrootcert=system to trust this machine's CAs.`,
		);
	}
	const certFile = expand(keywords['sslcert'] || '~/.postgresql/postgresql.crt', home);
	const keyFile = expand(keywords['sslkey'] || '~/.postgresql/postgresql.key', home);
	const withCert = existsSync(certFile);
	if (withCert && existsSync(keyFile)) checkKeyPermissions(keyFile);
	// require with a root certificate present verifies the chain, as libpq does; prefer/allow encrypt like require.
	const verifying = mode === 'verify-full' ? 'verify-full' : mode === 'verify-ca' ? 'verify-ca' : rootExists ? 'verify-ca' : 'require';
	const query = new URLSearchParams({sslmode: verifying});
	if (rootExists) query.set('sslrootcert', rootFile!);
	if (withCert) {
		query.set('sslcert', certFile);
		query.set('sslkey', keyFile);
	}
	let tls: ConnectionOptions;
	try {
		const parsed = parseConnectionString(`postgres://localhost/?${query.toString()}`, {useLibpqCompat: true});
		tls = {...(typeof parsed.ssl === 'object' ? (parsed.ssl as ConnectionOptions) : {})};
	} catch (error) {
		throw new UserError(`The TLS files could not be read: ${(error as Error).message}. Check sslrootcert, sslcert and sslkey.`, {cause: error});
	}
	if (keywords['sslpassword']) tls.passphrase = keywords['sslpassword'];
	const checks =
		verifying === 'verify-full'
			? `the certificate and host name verified against ${system ? "the system's CAs" : rootFile}`
			: verifying === 'verify-ca'
				? `the certificate chain verified against ${rootFile} (not the host name)`
				: 'encrypted, the certificate not verified';
	const description =
		mode === 'prefer'
			? `TLS if the server offers it (sslmode=prefer: ${checks}), else plain`
			: mode === 'allow'
				? `plain first, TLS if the server requires it (sslmode=allow: ${checks})`
				: `TLS, ${checks} (sslmode=${mode})`;
	return {
		mode,
		...(rootExists ? {rootCert: rootFile!} : {}),
		...(withCert ? {clientCert: certFile, clientKey: keyFile} : {}),
		description,
		driverAttempts: mode === 'prefer' ? [tls, false] : mode === 'allow' ? [false, tls] : [tls],
	};
}
