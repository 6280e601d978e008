/** Where the project's data lives (sql/, runbook/, package.json), from dist/… or source/…. Imports nothing heavy. */
import path from 'node:path';
import {fileURLToPath} from 'node:url';

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const sqlDir = path.join(projectRoot, 'sql');
