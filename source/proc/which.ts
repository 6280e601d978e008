/** Whether an executable is on PATH (or is an executable path), without running it. */
import {accessSync, constants, statSync} from 'node:fs';
import path from 'node:path';

export function onPath(name: string, envPath = process.env['PATH'] ?? ''): string | undefined {
	const candidates = name.includes('/') ? [name] : envPath.split(path.delimiter).filter(Boolean).map((dir) => path.join(dir, name));
	for (const candidate of candidates) {
		try {
			accessSync(candidate, constants.X_OK);
			if (statSync(candidate).isFile()) return candidate;
		} catch {
			// not here
		}
	}
	return undefined;
}
