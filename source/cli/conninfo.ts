/**
 * `runbook conninfo`: the target as runbook resolved it (libpq's rules), and
 * proof that the pg driver and psql reach the same server the same way —
 * like psql's \conninfo, for both halves of runbook. Exit 0 when both
 * connect, 2 when either cannot (with the same paragraph for the same cause).
 */
import type pg from 'pg';
import {connect} from '../db/connect.js';
import {childConnectionFailure} from '../db/connect-failure.js';
import {givenSourceOf, passwordFile, resolveConnection} from '../db/resolve.js';
import type {Target} from '../db/target.js';
import {errorMessage} from '../errors.js';
import {psqlEnv} from '../proc/psql.js';
import {POSTGRES_CLIENT_HINT, runChild} from '../proc/child.js';
import type {CliOptions} from './options.js';

const PROBE = `SELECT current_user, current_database(), coalesce(inet_server_addr()::text, 'socket'), inet_server_port(), coalesce((SELECT CASE WHEN ssl THEN version END FROM pg_stat_ssl WHERE pid = pg_backend_pid()), 'none'), pg_backend_pid()`;

type Session = {readonly user: string; readonly database: string; readonly serverAddr: string; readonly serverPort: number; readonly tls: string; readonly pid: number};
type Probe = {readonly ok: true; readonly session: Session} | {readonly ok: false; readonly error: string};

function session(row: readonly string[]): Session {
	return {user: row[0]!, database: row[1]!, serverAddr: row[2]!, serverPort: Number(row[3]), tls: row[4]!, pid: Number(row[5])};
}

async function viaDriver(target: Target): Promise<Probe> {
	let client: pg.Client | undefined;
	try {
		client = await connect(target, 'runbook:conninfo');
		const {rows} = await client.query<unknown[]>({text: PROBE, rowMode: 'array'} as pg.QueryArrayConfig);
		return {ok: true, session: session((rows[0] ?? []).map(String))};
	} catch (error) {
		return {ok: false, error: errorMessage(error)};
	} finally {
		await client?.end().catch(() => undefined);
	}
}

async function viaPsql(target: Target): Promise<Probe> {
	const out: string[] = [];
	const err: string[] = [];
	const result = await runChild({
		file: 'psql',
		args: ['-X', '-A', '-t', '-F', '\t', '--no-password', '-c', PROBE],
		env: psqlEnv({target, applicationName: 'runbook:conninfo'}),
		onLine: (line) => (line.stream === 'stdout' ? out : err).push(line.line),
		installHint: POSTGRES_CLIENT_HINT,
	});
	if (result.exitCode === 0 && out[0]) return {ok: true, session: session(out[0].split('\t'))};
	return {ok: false, error: childConnectionFailure(target, err)?.message ?? `psql exited ${result.exitCode}: ${err.join(' ')}`};
}

function describeSession(s: Session): string {
	return `connected as ${s.user} to ${s.database} on ${s.serverAddr}:${s.serverPort}, ${s.tls === 'none' ? 'not encrypted' : `TLS ${s.tls}`}`;
}

export async function conninfoCommand(options: CliOptions): Promise<number> {
	const env = process.env;
	const target = await resolveConnection(options.databaseUrl, env, givenSourceOf(options.databaseUrl, env));
	if (!target) {
		const text = 'Nothing names a database (no --database-url, DATABASE_URL, PGHOST, PGHOSTADDR, PGPORT, PGUSER, PGDATABASE or PGSERVICE): runbook rehearses on its built-in sandbox.';
		process.stdout.write(options.json ? `${JSON.stringify({version: 1, target: null, source: {kind: 'sandbox', label: 'sandbox'}, note: text})}\n` : `${text}\n`);
		return 0;
	}
	const [driver, psql] = await Promise.all([viaDriver(target), viaPsql(target)]);
	const password = target.passwordFrom === 'given' ? 'given (URL, conninfo, service or PGPASSWORD)' : target.passwordFrom === 'passfile' ? `from ${target.params['passfile'] ?? passwordFile({keywords: target.params, hosts: target.hosts, source: target.source, home: env['HOME'] ?? ''})}` : 'none';
	if (options.json) {
		const {password: _omit, ...settings} = target.params as Record<string, string>;
		process.stdout.write(
			`${JSON.stringify({version: 1, target: target.display, masked: target.masked, source: target.source, hosts: target.hosts, settings, tls: {mode: target.tls.mode, description: target.tls.description, ...(target.tls.rootCert ? {rootCert: target.tls.rootCert} : {})}, password: target.passwordFrom, driver, psql})}\n`,
		);
	} else {
		const lines = [
			`target    ${target.display}`,
			`source    ${target.source.label}${target.source.detail ? ` (${target.source.detail})` : ''}`,
			`TLS       ${target.tls.description}`,
			`password  ${password}`,
			...(target.params['options'] ? [`options   ${target.params['options']}`] : []),
			...(target.params['target_session_attrs'] ? [`session   target_session_attrs=${target.params['target_session_attrs']}`] : []),
			`driver    ${driver.ok ? describeSession(driver.session) : driver.error}`,
			`psql      ${psql.ok ? describeSession(psql.session) : psql.error}`,
		];
		process.stdout.write(`${lines.join('\n')}\n`);
	}
	return driver.ok && psql.ok ? 0 : 2;
}
