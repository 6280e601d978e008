/** `runbook verify-backup <file> [--sha256 …]`: checks a backup file alone; exit 0, or 1 with the reason. */
import path from 'node:path';
import {existsSync} from 'node:fs';
import {verifyBackup} from '../backup/verify.js';
import {UserError} from '../errors.js';
import type {CliOptions} from './options.js';
import {verifyBackupJson, writeJson} from './json.js';

export async function verifyBackupCommand(options: CliOptions): Promise<number> {
	const file = options.positionals[0];
	if (!file) throw new UserError('runbook verify-backup needs the backup file: runbook verify-backup backup-pre-migration-006-YYYYMMDD-HHMMSS.dump');
	const full = path.resolve(file);
	if (!existsSync(full)) {
		if (options.json) writeJson(verifyBackupJson({file: full, ok: false, reason: 'the file does not exist', checks: []}));
		process.stderr.write(`FAIL ${full}: the file does not exist\n`);
		return 1;
	}
	const expected = options.sha256 ?? options.positionals[1];
	const result = await verifyBackup(full, expected ? {expectedSha256: expected} : {});
	if (options.json) {
		writeJson(
			verifyBackupJson({
				file: full,
				ok: result.ok,
				format: result.format,
				bytes: result.bytes,
				...(result.sha256 ? {sha256: result.sha256} : {}),
				...(result.reason ? {reason: result.reason} : {}),
				checks: result.checks.map((c) => ({name: c.name, ok: c.ok, detail: c.detail})),
			}),
		);
		return result.ok ? 0 : 1;
	}
	for (const c of result.checks) process.stdout.write(`${c.ok ? 'PASS' : 'FAIL'} ${c.name}: ${c.detail}\n`);
	if (!result.ok) {
		process.stderr.write(`${full} is not a usable backup: ${result.reason ?? 'see above'}\n`);
		return 1;
	}
	process.stdout.write(`OK ${full} (${result.format}, ${result.bytes} bytes, sha256 ${result.sha256 ?? '?'})\n`);
	return 0;
}
