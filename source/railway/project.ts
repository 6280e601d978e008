/**
 * Which project the Railway databases are registered for (PLAN-REVIEW
 * decision 2): a rule, not a name. The plan file states it (`project:`); the
 * default is the single project of the organization with slug `lancio`, which
 * is how the customer's own registration file chooses it. A ref given with
 * --project-ref, or `project.ref` in the plan, names it instead. Zero or
 * several candidates are never guessed between: the caller stops and names
 * every candidate.
 */
import type pg from 'pg';

export type ProjectRule = {
	/** Slug of the organization whose single project is taken. */
	readonly organization: string;
	/** A project ref that overrides the organization rule. */
	readonly ref?: string;
};

export const DEFAULT_PROJECT_RULE: ProjectRule = {organization: 'lancio'};

export type ProjectCandidate = {readonly id: string; readonly name: string; readonly ref: string; readonly organization: string};

export type ProjectResolution =
	| {readonly ok: true; readonly project: ProjectCandidate; readonly rule: string}
	| {readonly ok: false; readonly candidates: readonly ProjectCandidate[]; readonly rule: string; readonly message: string};

/** The rule in words, for evidence and messages. */
export function describeRule(rule: ProjectRule, overrideRef?: string): string {
	if (overrideRef) return `the project with ref \`${overrideRef}\` (--project-ref)`;
	if (rule.ref) return `the project with ref \`${rule.ref}\` (the plan's project.ref)`;
	return `the single project of the organization with slug \`${rule.organization}\``;
}

export async function resolveProject(client: pg.ClientBase, rule: ProjectRule, overrideRef?: string): Promise<ProjectResolution> {
	const ref = overrideRef ?? rule.ref;
	const words = describeRule(rule, overrideRef);
	const {rows} = await client.query<ProjectCandidate>(
		`SELECT p.id::text AS id, p.name, p.ref, o.slug AS organization
		FROM platform.projects p JOIN platform.organizations o ON o.id = p.organization_id
		WHERE CASE WHEN $1::text IS NOT NULL THEN p.ref = $1 ELSE o.slug = $2 END
		ORDER BY p.ref`,
		[ref ?? null, rule.organization],
	);
	if (rows.length === 1) return {ok: true, project: rows[0]!, rule: words};
	const list = rows.map((p) => `${p.name} (ref ${p.ref})`).join(', ');
	const message = ref
		? `The Railway databases are registered for ${words}, but platform.projects has no such project. Check the ref (SELECT name, ref FROM platform.projects), then run again with the right --project-ref REF. Nothing was changed.`
		: rows.length === 0
			? `The Railway databases are registered for ${words}, but that organization has no project. Name the project with --project-ref REF (or project.ref in the plan file), then run again. Nothing was changed.`
			: `The Railway databases are registered for ${words}, but it has ${rows.length}: ${list}. The runbook never guesses: choose one with --project-ref REF (for example --project-ref ${rows[0]!.ref}) or set project.ref in the plan file, then run again. Nothing was changed.`;
	return {ok: false, candidates: rows, rule: words, message};
}
