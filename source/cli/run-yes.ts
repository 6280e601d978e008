/**
 * `run --yes` (and a scripted rollback): the same run command as run.ts, as an entry of its own so that the
 * build can give it a bundle that holds its engine (scripts/bundle.mjs). A run without a screen needs the
 * engine at once; an interactive run draws its first frame before it loads the engine, from the split build.
 */
export {runCommand} from './run.js';
