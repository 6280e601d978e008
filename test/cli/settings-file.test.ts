/** settings.json, kept with conf and checked by hand on resume (no zod before the first frame): what it accepts and refuses. */
import {describe, expect, it} from 'vitest';
import {mkdtempSync, readFileSync, statSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {parseSettingsFile, readSettings, writeSettings, SETTINGS_FILE, type SettingsFile} from '../../source/cli/run-settings.js';
import {isUserError} from '../../source/errors.js';

const good: SettingsFile = {
	schema: 'runbook.settings',
	version: 1,
	recordedAt: '2026-12-01T02:00:00.000Z',
	settings: {'lock-timeout': '500ms', step: false, 'backup-dir': '/var/backups'},
	changes: [{at: '2026-12-01T02:10:00.000Z', name: 'lock-timeout', from: null, to: '1s'}],
};

describe('settings.json', () => {
	it('reads back what it wrote, and an old file without changes', async () => {
		const dir = mkdtempSync(path.join(tmpdir(), 'settings-'));
		await writeSettings(dir, good);
		expect(await readSettings(dir)).toEqual(good);
		// Only the operator reads it: it names the backup directory, the roles and the URLs (without passwords).
		expect(statSync(path.join(dir, SETTINGS_FILE)).mode & 0o777).toBe(0o600);
		expect(readFileSync(path.join(dir, SETTINGS_FILE), 'utf8')).toBe(`${JSON.stringify(good, null, 2)}\n`);
		const {changes: _none, ...old} = good;
		expect(parseSettingsFile(old)).toEqual({...old, changes: []});
	});

	it.each([
		['an array', [], 'not a JSON object'],
		['another schema', {...good, schema: 'other'}, 'schema'],
		['version 2', {...good, version: 2}, 'version'],
		['no recordedAt', {...good, recordedAt: 5}, 'recordedAt'],
		['a number setting', {...good, settings: {'lock-timeout': 500}}, 'settings.lock-timeout'],
		['settings a list', {...good, settings: ['x']}, 'settings is not an object'],
		['changes an object', {...good, changes: {}}, 'changes is not a list'],
		['a change without to', {...good, changes: [{at: 'x', name: 'y', from: null}]}, 'changes[0]'],
	])('refuses %s', (_name, value, says) => {
		const result = parseSettingsFile(value);
		expect(typeof result).toBe('string');
		expect(result).toContain(says);
	});

	it('a file that is not JSON is the operator’s to move: exit 2 with the remedy', async () => {
		const dir = mkdtempSync(path.join(tmpdir(), 'settings-'));
		writeFileSync(path.join(dir, SETTINGS_FILE), '{"schema": "runbook.settings", ');
		const error = await readSettings(dir).catch((e: unknown) => e);
		expect(isUserError(error)).toBe(true);
		expect((error as {exitCode: number}).exitCode).toBe(2);
		expect((error as Error).message).toMatch(/not a settings file runbook wrote \(not JSON: .*\)\. Move it away/);
	});
});
