/**
 * The plan's pre-migration notification ("Communication Plan → Pre-Migration
 * Notification"), filled in. Plain text, as the plan writes it; secrets removed.
 */
import {redact} from '../db/target.js';
import {formatInstant, plural} from './format.js';
import {redactDeep} from '../db/redact-deep.js';
import type {NotificationInput} from './types.js';

export const DEFAULT_CHANGES: readonly string[] = [
	'Multi-database support (MongoDB, Redis)',
	'Row Level Security foundation',
	'Database connection encryption',
];

/** The plan's own impact line, minus "zero downtime": enabling RLS takes brief table locks (review §2 item 9). */
export const DEFAULT_IMPACT =
	'None expected - permissive RLS policies maintain current behavior; enabling RLS takes brief table locks (bounded by lock_timeout, retried)';

export const DEFAULT_ROLLBACK = 'Full rollback capability available (tested rollback scripts and a verified backup)';

export function sortedSecrets(secrets: readonly string[] | undefined): string[] {
	return [...new Set(secrets ?? [])].filter((s) => s.length >= 3).sort((a, b) => b.length - a.length);
}

function durationWords(minutes: number): string {
	if (minutes < 1) return plural(Math.round(minutes * 60), 'second', 'seconds');
	return plural(Math.round(minutes), 'minute', 'minutes');
}

export function renderNotification(raw: NotificationInput): string {
	const secrets = sortedSecrets(raw.secrets);
	const input = redactDeep(raw, secrets);
	const changes = input.changes && input.changes.length > 0 ? input.changes : DEFAULT_CHANGES;
	const lines = [
		`${input.title} Scheduled`,
		'',
		`When: ${formatInstant(input.when)}`,
		`Duration: ~${durationWords(input.durationMinutes)} (low-risk, no planned downtime)`,
		`Impact: ${input.impact ?? DEFAULT_IMPACT}`,
		...(input.target ? [`Target: ${input.target}`] : []),
		'Changes:',
		...changes.map((change) => `- ${change}`),
		'',
		`Rollback: ${input.rollback ?? DEFAULT_ROLLBACK}`,
		`Contact: ${input.contact}`,
	];
	return redact(`${lines.join('\n')}\n`, secrets);
}
