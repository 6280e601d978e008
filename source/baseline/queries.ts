/**
 * The queries a performance baseline measures, as data.
 *
 * The three defaults are the plan's "Performance Baseline" queries
 * (Post-Deployment §3), rewritten with `$n` parameters: the plan's
 * `'<test-token-hash>'` and `'<org-id>'` placeholders become values taken from
 * the database itself (a real unexpired session token; the organization with
 * the most audit rows, used for the members query too). A plan file may add
 * queries of the same shape; the plan schema mirrors these types.
 */

/** Where one `$n` parameter comes from. */
export type BaselineParam =
	| {
			/** SQL returning one row whose first column is the value (run read-only, as the connecting user). */
			readonly from: string;
			/** Never store or show the value itself, only a hash prefix (tokens, emails). */
			readonly secret?: boolean;
			/** What the value is, for the report ("session token"). */
			readonly label?: string;
	  }
	| {
			/** A fixed value, bound as a query parameter. */
			readonly value: string | number | boolean | null;
			readonly secret?: boolean;
			readonly label?: string;
	  };

export type BaselineQuery = {
	/** Stable identifier, used to pair before/after results (kebab-case). */
	readonly id: string;
	readonly title: string;
	/** One SELECT with `$1…$n` placeholders; never a value spliced into the text. */
	readonly sql: string;
	/** One entry per placeholder, in order ($1 first). */
	readonly params: readonly BaselineParam[];
};

/** An unexpired session, the most recently issued (deterministic for the same data). */
export const SESSION_TOKEN_SQL = `SELECT s.token FROM platform.user_sessions s WHERE s.expires_at > now() ORDER BY s.expires_at DESC, s.token LIMIT 1`;

/** The organization with the most audit rows (ties broken by id, so before and after pick the same one). */
export const BUSIEST_ORGANIZATION_SQL = `SELECT a.organization_id FROM platform.audit_logs a WHERE a.organization_id IS NOT NULL GROUP BY a.organization_id ORDER BY count(*) DESC, a.organization_id LIMIT 1`;

export const DEFAULT_BASELINE_QUERIES: readonly BaselineQuery[] = [
	{
		id: 'session-validation',
		title: 'Session validation (user_sessions ⋈ users by token)',
		sql: `SELECT s.*, u.* FROM platform.user_sessions s JOIN platform.users u ON s.user_id = u.id WHERE s.token = $1 AND s.expires_at > now()`,
		params: [{from: SESSION_TOKEN_SQL, secret: true, label: 'session token'}],
	},
	{
		id: 'audit-log-latest',
		title: 'Latest 50 audit log rows of an organization',
		sql: `SELECT * FROM platform.audit_logs WHERE organization_id = $1 ORDER BY created_at DESC LIMIT 50`,
		params: [{from: BUSIEST_ORGANIZATION_SQL, label: 'organization id'}],
	},
	{
		id: 'organization-members',
		title: 'Members of an organization',
		sql: `SELECT * FROM platform.organization_members WHERE organization_id = $1`,
		params: [{from: BUSIEST_ORGANIZATION_SQL, label: 'organization id'}],
	},
];

/** How many distinct `$n` placeholders a statement uses (the highest n). */
export function placeholderCount(sql: string): number {
	let highest = 0;
	for (const match of sql.matchAll(/\$(\d+)/g)) highest = Math.max(highest, Number(match[1]));
	return highest;
}
