/**
 * The locks the GO gate expects from each 006 migration when there is no
 * rehearsal: read from the real files' statement kinds.
 */
import {describe, expect, it} from 'vitest';
import {readFileSync} from 'node:fs';
import path from 'node:path';
import {staticLocks} from '../../source/rehearsal/statement-locks.js';

const sql = (file: string) => readFileSync(path.join(import.meta.dirname, '..', '..', 'sql', file), 'utf8');
const pairs = (file: string) => staticLocks(sql(file)).map((l) => `${l.mode} ${l.relation}`);

describe('staticLocks on the 006 migrations', () => {
	it('Step 2 builds its ALTER TABLE and CREATE POLICY from the catalog: ACCESS EXCLUSIVE on every table of platform', () => {
		expect(pairs('006_enable_rls_with_permissive_policies.sql')).toContain('AccessExclusiveLock platform.*');
	});

	it('Step 1 takes SHARE ROW EXCLUSIVE on the table its foreign key references', () => {
		expect(pairs('006_add_platform_databases_table.sql')).toContain('ShareRowExclusiveLock platform.projects');
	});

	it('Step 3 writes rows: ROW EXCLUSIVE on platform.databases, nothing exclusive', () => {
		const locks = pairs('006_register_railway_databases.sql');
		expect(locks).toContain('RowExclusiveLock platform.databases');
		expect(locks.filter((l) => l.startsWith('AccessExclusiveLock'))).toEqual([]);
	});

	it('reads explicit statements and LOCK TABLE, ignoring comments', () => {
		const text = `-- ALTER TABLE ignored.t ADD COLUMN x int;\nALTER TABLE app.a ADD COLUMN b int;\nCREATE INDEX CONCURRENTLY i ON app.c (x);\nLOCK TABLE app.d IN SHARE ROW EXCLUSIVE MODE;\nDO $$ BEGIN EXECUTE format('ALTER TABLE %I.%I ENABLE ROW LEVEL SECURITY', 'x', 'y'); END $$;`;
		expect(staticLocks(text).map((l) => `${l.mode} ${l.relation}`).sort()).toEqual(['AccessExclusiveLock app.a', 'ShareRowExclusiveLock app.d', 'ShareUpdateExclusiveLock app.c']);
	});
});
