/**
 * The target with libpq's rules, the same for the pg driver and for psql,
 * through the CLI against real servers: one embedded PostgreSQL with TLS on
 * (a CA and a server certificate made here with openssl), and the suite's
 * plain server for a real run. `runbook conninfo` connects with the driver
 * and with psql and reports whom each reached; plain `psql` with the same
 * environment is the referee.
 */
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {execFileSync, spawnSync} from 'node:child_process';
import {chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir, userInfo} from 'node:os';
import path from 'node:path';
import {execa} from 'execa';
import {startServer, adminQuery, type SandboxServer} from '../../source/sandbox/server.js';
import {freshDatabase} from '../helpers/db.js';
import {journalEvents, runCli, spawnCli, subsetPlan, tempDir} from '../helpers/cli.js';

const PASSWORD = 'Tls-Secret-9f3a';
let dir = '';
let server: SandboxServer;
let port = 0;
let ca = '';
let wrongCa = '';

function openssl(...args: string[]): void {
	execFileSync('openssl', args, {cwd: dir, stdio: 'ignore'});
}

beforeAll(async () => {
	dir = mkdtempSync(path.join(tmpdir(), 'runbook-tls-'));
	chmodSync(dir, 0o755);
	const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
	openssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=runbook test CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
	openssl('req', '-x509', ...ec, '-keyout', 'wrong.key', '-out', 'wrong.crt', '-days', '2', '-subj', '/CN=some other CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
	openssl('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
	writeFileSync(path.join(dir, 'san.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
	openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'san.cnf');
	ca = path.join(dir, 'ca.crt');
	wrongCa = path.join(dir, 'wrong.crt');
	const key = path.join(dir, 'server.key');
	chmodSync(key, 0o600);
	// As root the server runs as `postgres`, which must own its key.
	if (userInfo().uid === 0) {
		const uid = Number(execFileSync('id', ['-u', 'postgres'], {encoding: 'utf8'}).trim());
		chownSync(key, uid, uid);
	}
	chmodSync(path.join(dir, 'server.crt'), 0o644);
	server = await startServer({extraFlags: ['-c', 'ssl=on', '-c', `ssl_cert_file=${path.join(dir, 'server.crt')}`, '-c', `ssl_key_file=${key}`], adminSslmode: 'require'});
	port = server.port;
	await adminQuery(server.admin, `CREATE ROLE migrator LOGIN PASSWORD '${PASSWORD}'`);
	await adminQuery(server.admin, 'CREATE DATABASE tls_app OWNER migrator');
}, 180_000);

afterAll(async () => {
	await server?.stop();
	rmSync(dir, {recursive: true, force: true});
});

type Probe = {ok: true; session: {user: string; database: string; serverPort: number; tls: string}} | {ok: false; error: string};
type Conninfo = {version: number; target: string; source: {kind: string; label: string; detail?: string}; tls: {mode: string}; password: string; driver: Probe; psql: Probe};

/** An empty HOME, so no ~/.pgpass, ~/.pg_service.conf or ~/.postgresql of the machine's takes part. */
function home(name: string, files: Record<string, string> = {}): string {
	const h = path.join(dir, `home-${name}`);
	mkdirSync(h, {recursive: true});
	for (const [file, text] of Object.entries(files)) {
		mkdirSync(path.dirname(path.join(h, file)), {recursive: true});
		writeFileSync(path.join(h, file), text, {mode: 0o600});
	}
	return h;
}

async function conninfo(env: Record<string, string | undefined>, args: string[] = []): Promise<{exitCode: number; info: Conninfo; stderr: string}> {
	const result = await runCli(['conninfo', '--json', ...args], {HOME: home('empty'), ...env}, 60_000);
	const line = result.stdout.trim().split('\n').pop() ?? '';
	try {
		return {exitCode: result.exitCode, info: JSON.parse(line) as Conninfo, stderr: result.stderr};
	} catch {
		throw new Error(`conninfo printed no JSON (exit ${result.exitCode}):\n${result.stdout}\n${result.stderr}`);
	}
}

/** What plain psql reaches with this environment: database, port, and whether it is encrypted. */
async function psqlReaches(env: Record<string, string | undefined>): Promise<string> {
	const {stdout} = await execa('psql', ['-X', '-A', '-t', '--no-password', '-c', 'SELECT current_user, current_database(), inet_server_port(), ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()'], {env: {HOME: home('empty'), ...env}, extendEnv: false});
	return stdout.trim();
}

const url = (query: string, host = `127.0.0.1:${port}`) => `postgres://migrator:${PASSWORD}@${host}/tls_app?${query}`;

describe('TLS that agrees', () => {
	it('verify-full with the CA works for the driver and psql alike, encrypted, same server', async () => {
		const {exitCode, info} = await conninfo({}, ['--database-url', url(`sslmode=verify-full&sslrootcert=${ca}`)]);
		expect(exitCode).toBe(0);
		expect(info.driver).toMatchObject({ok: true, session: {user: 'migrator', database: 'tls_app', serverPort: port}});
		expect(info.psql).toMatchObject({ok: true, session: {user: 'migrator', database: 'tls_app', serverPort: port}});
		for (const probe of [info.driver, info.psql]) expect(probe.ok && probe.session.tls).toMatch(/^TLSv1\.[23]$/);
		// verify-full checks the host name too: the certificate names localhost as well.
		const byName = await conninfo({}, ['--database-url', url(`sslmode=verify-full&sslrootcert=${ca}`, `localhost:${port}`)]);
		expect([byName.exitCode, byName.info.driver.ok, byName.info.psql.ok]).toEqual([0, true, true]);
	});

	it('a wrong CA fails both with the same clear message, which never suggests weakening TLS', async () => {
		const {exitCode, info} = await conninfo({}, ['--database-url', url(`sslmode=verify-full&sslrootcert=${wrongCa}`)]);
		expect(exitCode).toBe(2);
		const advice = `The server's TLS certificate could not be verified against ${wrongCa} (sslmode=verify-full)`;
		for (const probe of [info.driver, info.psql]) {
			expect(probe.ok).toBe(false);
			const error = probe.ok ? '' : probe.error;
			expect(error).toContain(`Could not connect to migrator@127.0.0.1:${port}/tls_app (via --database-url)`);
			expect(error).toContain(advice);
			expect(error).not.toMatch(/sslmode=(?:require|prefer|allow|disable)/);
			expect(error).not.toContain(PASSWORD);
		}
	});

	it('require encrypts without verifying for both, unless ~/.postgresql/root.crt exists: then both verify it (libpq)', async () => {
		const plain = await conninfo({}, ['--database-url', url('sslmode=require')]);
		expect(plain.exitCode).toBe(0);
		for (const probe of [plain.info.driver, plain.info.psql]) expect(probe.ok && probe.session.tls).toMatch(/^TLSv1/);
		const withRoot = await conninfo({HOME: home('wrong-root', {'.postgresql/root.crt': readFileSync(wrongCa, 'utf8')})}, ['--database-url', url('sslmode=require')]);
		expect(withRoot.exitCode).toBe(2);
		expect([withRoot.info.driver.ok, withRoot.info.psql.ok]).toEqual([false, false]);
	});

	it('prefer takes TLS where the server offers it and plain where it does not, for both', async () => {
		const tls = await conninfo({}, ['--database-url', url('sslmode=prefer')]);
		for (const probe of [tls.info.driver, tls.info.psql]) expect(probe.ok && probe.session.tls).toMatch(/^TLSv1/);
		const db = await freshDatabase('prefer_plain', {empty: true});
		try {
			const u = new URL(db.url);
			u.searchParams.set('sslmode', 'prefer');
			const plain = await conninfo({}, ['--database-url', u.toString()]);
			expect(plain.exitCode).toBe(0);
			for (const probe of [plain.info.driver, plain.info.psql]) expect(probe.ok && probe.session.tls).toBe('none');
		} finally {
			await db.drop();
		}
	});
});

describe('PG* variables, services and the password file', () => {
	it('PG* variables alone choose the target psql would reach (no sandbox), with TLS from PGSSLMODE/PGSSLROOTCERT', async () => {
		const env = {PGHOST: '127.0.0.1', PGPORT: String(port), PGUSER: 'migrator', PGDATABASE: 'tls_app', PGPASSWORD: PASSWORD, PGSSLMODE: 'verify-full', PGSSLROOTCERT: ca};
		const {exitCode, info} = await conninfo(env);
		expect(exitCode).toBe(0);
		expect(info.source).toMatchObject({kind: 'env', label: 'PG* variables'});
		expect(info.target).toBe(`migrator@127.0.0.1:${port}/tls_app`);
		expect(await psqlReaches(env)).toBe(`migrator|tls_app|${port}|t`);
		expect(info.driver).toMatchObject({ok: true, session: {user: 'migrator', database: 'tls_app', serverPort: port}});
	});

	it('PGSERVICE with pg_service.conf reaches the same database as psql, the password from a pgpass file', async () => {
		const service = path.join(dir, 'pg_service.conf');
		writeFileSync(service, `# test services\n[other]\nhost=192.0.2.1\n\n[tlsprod]\nhost=127.0.0.1\nport=${port}\ndbname=tls_app\nuser=migrator\nsslmode=verify-full\nsslrootcert=${ca}\n`);
		const passfile = path.join(dir, 'pgpass');
		writeFileSync(passfile, `# host:port:db:user:password\n127.0.0.1:${port}:tls_app:migrator:${PASSWORD}\n`, {mode: 0o600});
		const env = {PGSERVICEFILE: service, PGSERVICE: 'tlsprod', PGPASSFILE: passfile};
		const {exitCode, info} = await conninfo(env);
		expect(exitCode).toBe(0);
		expect(info.source).toMatchObject({kind: 'service', label: 'service tlsprod'});
		expect(info.password).toBe('passfile');
		expect(await psqlReaches(env)).toBe(`migrator|tls_app|${port}|t`);
		for (const probe of [info.driver, info.psql]) expect(probe).toMatchObject({ok: true, session: {database: 'tls_app', serverPort: port}});
		// A service named nowhere is one clear paragraph, exit 2.
		const missing = await runCli(['conninfo'], {HOME: home('empty'), PGSERVICEFILE: service, PGSYSCONFDIR: dir, PGSERVICE: 'nope'});
		expect(missing.exitCode).toBe(2);
		expect(missing.stderr).toContain('The service `nope` (PGSERVICE) is not defined in');
	});

	it('a pgpass others can read is ignored, as libpq ignores it: both then lack a password and say so alike', async () => {
		const passfile = path.join(dir, 'pgpass-open');
		writeFileSync(passfile, `*:*:*:migrator:${PASSWORD}\n`);
		chmodSync(passfile, 0o644);
		const {exitCode, info} = await conninfo({PGPASSFILE: passfile}, ['--database-url', `host=127.0.0.1 port=${port} dbname=tls_app user=migrator sslmode=require`]);
		expect(exitCode).toBe(2);
		for (const probe of [info.driver, info.psql]) expect(probe.ok ? '' : probe.error).toContain('The server asks for a password for `migrator` and none was given');
	});

	it('several hosts: the first that answers, for both, with the password file matched per host', async () => {
		const passfile = path.join(dir, 'pgpass-multi');
		writeFileSync(passfile, `127.0.0.1:${port}:tls_app:migrator:${PASSWORD}\n`, {mode: 0o600});
		const {exitCode, info} = await conninfo({PGPASSFILE: passfile}, ['--database-url', `postgresql://migrator@127.0.0.1:1,127.0.0.1:${port}/tls_app?sslmode=verify-full&sslrootcert=${encodeURIComponent(ca)}&connect_timeout=5`]);
		expect(info.target).toBe(`migrator@127.0.0.1:1,127.0.0.1:${port}/tls_app`);
		expect(exitCode).toBe(0);
		for (const probe of [info.driver, info.psql]) expect(probe).toMatchObject({ok: true, session: {serverPort: port}});
	});
});

/** The pid and every descendant of it, from /proc/<pid>/stat's parent field. */
function descendants(root: number): string[] {
	const parentOf = new Map<string, string>();
	for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
		try {
			// "pid (comm) state ppid …"; comm may hold spaces or parentheses, so read after the last ')'.
			const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
			parentOf.set(pid, stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1] ?? '');
		} catch {
			// already gone
		}
	}
	const tree = new Set([String(root)]);
	for (let grew = true; grew; ) {
		grew = false;
		for (const [pid, parent] of parentOf) if (!tree.has(pid) && tree.has(parent)) (tree.add(pid), (grew = true));
	}
	return [...tree];
}

describe('a real run from PG* variables and a pgpass file', () => {
	it('runs psql children with no secret in any argv, none in the state, and the journal names the source', async () => {
		const db = await freshDatabase('libpq_run');
		try {
			const u = new URL(db.url);
			const secret = decodeURIComponent(u.password);
			const passfile = path.join(tempDir('pgpass'), 'pgpass');
			writeFileSync(passfile, `${u.hostname}:${u.port}:${db.name}:${u.username}:${secret}\n`, {mode: 0o600});
			const stateDir = tempDir('libpq-state');
			const plan = subsetPlan(['step1']);
			const child = spawnCli(['run', '--yes', '--state-dir', stateDir, '--plan', plan], {HOME: home('empty'), PGHOST: u.hostname, PGPORT: u.port, PGUSER: u.username, PGDATABASE: db.name, PGPASSFILE: passfile, PGSSLMODE: 'disable'});
			// Every process's argv while the run goes: none may hold the password; at least one psql must be seen.
			const leaks: string[] = [];
			let psqlSeen = 0;
			const childEnvs: string[] = [];
			let running = true;
			void child.finally(() => (running = false));
			while (running) {
				// Only this run's process tree: other test files run at the same time and may pass a URL with the shared password on purpose.
				for (const pid of descendants(child.pid!)) {
					let cmdline = '';
					try {
						cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
					} catch {
						continue;
					}
					if (cmdline.includes(secret)) leaks.push(cmdline);
					// Our run's psql (its files are in our state directory): other processes on the machine are not ours to read.
					if (/(^|\/)psql /.test(cmdline) && cmdline.includes(stateDir)) {
						psqlSeen++;
						// The child reads the same password file; no password travels in its environment either.
						try {
							const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
							childEnvs.push(environ.filter((v) => /^PG(?:PASSWORD|PASSFILE|HOST|SSLMODE)=/.test(v)).sort().join(' '));
						} catch {
							// already gone
						}
					}
				}
				await new Promise((r) => setTimeout(r, 5));
			}
			const result = await child;
			expect(result.exitCode, String(result.stderr)).toBe(0);
			expect(leaks).toEqual([]);
			expect(psqlSeen).toBeGreaterThan(0);
			expect([...new Set(childEnvs)]).toEqual([`PGHOST=${u.hostname} PGPASSFILE=${passfile} PGSSLMODE=disable`]);
			const started = journalEvents(stateDir).find((e) => e['type'] === 'run-started');
			expect(started?.['target']).toBe(`${u.username}@${u.hostname}:${u.port}/${db.name}`);
			expect(started?.['targetSource']).toBe('PG* variables');
			const everything = spawnSync('grep', ['-r', '-l', '-F', secret, stateDir], {encoding: 'utf8'});
			expect(everything.stdout).toBe('');
			expect(`${result.stdout}${result.stderr}`).not.toContain(secret);
		} finally {
			await db.drop();
		}
	});
});
