/**
 * Counts what schema `platform` holds, from the catalog: base tables, indexes
 * (primary keys and unique constraints included), functions (extension members
 * excluded), views, user triggers (not the internal RI ones) and RLS policies.
 * Taken before and after the run, the difference is "Objects Created".
 */
import type pg from 'pg';
import {withTargetOrClient} from '../db/connect.js';
import type {Target} from '../db/target.js';
import type {ObjectCounts} from './types.js';

export const COUNT_OBJECTS_SQL = `
SELECT
	(SELECT count(*) FROM pg_class c WHERE c.relnamespace = n.oid AND c.relkind IN ('r', 'p'))::int AS tables,
	(SELECT count(*) FROM pg_class c WHERE c.relnamespace = n.oid AND c.relkind IN ('i', 'I'))::int AS indexes,
	(SELECT count(*) FROM pg_proc p WHERE p.pronamespace = n.oid
		AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'))::int AS functions,
	(SELECT count(*) FROM pg_class c WHERE c.relnamespace = n.oid AND c.relkind IN ('v', 'm'))::int AS views,
	(SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE c.relnamespace = n.oid AND NOT t.tgisinternal)::int AS triggers,
	(SELECT count(*) FROM pg_policy pol JOIN pg_class c ON c.oid = pol.polrelid WHERE c.relnamespace = n.oid)::int AS policies
FROM pg_namespace n
WHERE n.nspname = $1`;

const ZERO: ObjectCounts = {tables: 0, indexes: 0, functions: 0, views: 0, triggers: 0, policies: 0};

/** Counts the objects in `schema` (default platform); all zero when the schema does not exist. */
export async function countCreatedObjects(target: Target | pg.ClientBase, schema = 'platform'): Promise<ObjectCounts> {
	const run = async (client: pg.ClientBase) => {
		const {rows} = await client.query<ObjectCounts>(COUNT_OBJECTS_SQL, [schema]);
		return rows[0] ?? ZERO;
	};
	return withTargetOrClient(target, 'runbook-report', run);
}
