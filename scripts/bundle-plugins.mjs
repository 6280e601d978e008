/**
 * The esbuild plugins of the CLI's bundle (scripts/bundle.mjs), in a module of their own so that a test can build
 * with one of them and try what it made.
 */
import {readFile} from 'node:fs/promises';
import path from 'node:path';

/** Ink imports ./devtools.js only when DEV=true; in the bundle it is an empty module. */
export const inkWithoutDevtools = {
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
export const lazyStringWidth = {
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
export const lazyConfDependencies = {
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
export const pgOnNode = {
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
