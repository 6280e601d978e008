import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {countCreatedObjects} from '../../source/report/count-objects.js';
import type {ObjectCounts} from '../../source/report/types.js';
import {freshDatabase, type TestDatabase} from '../helpers/db.js';
import {applySql, MIGRATIONS_006} from '../helpers/apply-006.js';

let db: TestDatabase;
let before: ObjectCounts;
let after: ObjectCounts;

beforeAll(async () => {
	db = await freshDatabase('count_objects');
	before = await countCreatedObjects(db.target);
	await applySql(db.target, MIGRATIONS_006);
	after = await countCreatedObjects(db.target);
});

afterAll(async () => {
	await db?.drop();
});

describe('countCreatedObjects', () => {
	it('counts what 006 creates in schema platform from the catalog', () => {
		const created = Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - before[k as keyof ObjectCounts]]));
		// 1 table; 8 indexes (pkey + the UNIQUE (project_id, name) + 6 named); 6 functions (4 + the 2 RLS helpers);
		// 2 views; 2 user triggers (the FK's internal ones excluded); 26 policies (one per platform table).
		expect(created).toEqual({tables: 1, indexes: 8, functions: 6, views: 2, triggers: 2, policies: 26});
	});

	it('matches the catalog’s own count of platform base tables after 006', async () => {
		const [row] = await db.query<{n: number}>(`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'platform'`);
		expect(after.tables).toBe(row?.n);
	});

	it('gives zeros for a schema that does not exist', async () => {
		expect(await countCreatedObjects(db.target, 'no_such_schema')).toEqual({tables: 0, indexes: 0, functions: 0, views: 0, triggers: 0, policies: 0});
	});
});
