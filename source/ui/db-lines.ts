/**
 * The database pane: server version, sessions (active, idle in transaction,
 * waiting), the longest open transaction, and lock waits with the blocking
 * pid and its query: how the operator sees ALTER TABLE queued behind someone.
 */
import type {DbActivity} from '../db/activity.js';
import type {Glyphs} from './glyphs.js';
import {cleanText} from './clean-text.js';
import {line, type PaneLine} from './pane-line.js';
import {formatShortDuration, textWidth, truncate} from '../text.js';

export type DbInput = {
	readonly activity: DbActivity | undefined;
	readonly width: number;
	readonly height: number;
	readonly glyphs: Glyphs;
};

function oneLine(query: string): string {
	return cleanText(query.replace(/\s+/g, ' ').trim()) || '(no query)';
}

function seconds(value: number): string {
	return formatShortDuration(value * 1000);
}

function sessionsText(activity: DbActivity, glyphs: Glyphs): string {
	const parts = [`DB ${activity.serverVersion ? `PostgreSQL ${activity.serverVersion}` : 'connected'}`];
	const s = activity.sessions;
	if (s) parts.push(`sessions ${s.total}: ${s.active} active, ${s.idleInTransaction} idle in tx, ${s.waiting} waiting`);
	const longest = activity.longestTransaction;
	if (longest) parts.push(`longest tx ${seconds(longest.seconds)} (pid ${longest.pid}, ${longest.state})`);
	return parts.join(glyphs.separator);
}

/** The summary one fact a line, for a tall pane that is too narrow for one line. */
function summaryLines(activity: DbActivity): string[] {
	const out = [`DB PostgreSQL ${activity.serverVersion ?? '?'}${activity.database ? ` (${activity.database})` : ''}`];
	const s = activity.sessions;
	if (s) out.push(`sessions ${s.total}: ${s.active} active, ${s.idleInTransaction} idle in tx, ${s.waiting} waiting`);
	const longest = activity.longestTransaction;
	if (longest) out.push(`longest tx ${seconds(longest.seconds)} (pid ${longest.pid}, ${longest.state}): ${oneLine(longest.query)}`);
	return out;
}

export function dbLines(input: DbInput): PaneLine[] {
	const {activity, width, height, glyphs} = input;
	if (height <= 0) return [];
	const cut = (text: string) => truncate(text, width, glyphs.ellipsis);
	if (!activity) return [line(cut('DB: no activity yet (polled every 1–2 s while connected)'), 'muted')];
	if (!activity.connected) return [line(cut(`DB: NOT CONNECTED${activity.error ? ` ${glyphs.arrow} ${cleanText(activity.error)}` : ''}`), 'bad', {bold: true})];
	const compact = height <= 3;
	const out: PaneLine[] = compact || textWidth(sessionsText(activity, glyphs)) <= width ? [line(cut(sessionsText(activity, glyphs)), 'plain')] : summaryLines(activity).map((text) => line(cut(text), 'plain'));
	for (const wait of activity.lockWaits) {
		const blockers = wait.blockedBy.map((b) => `pid ${b.pid}`).join(', ') || 'unknown';
		if (compact) {
			const first = wait.blockedBy[0];
			const query = first ? `: ${oneLine(first.query)}` : '';
			out.push(line(cut(`LOCK WAIT pid ${wait.pid} ${seconds(wait.seconds)} ${oneLine(wait.query)} ${glyphs.blockedBy.replace(/^\S+ /, '')} ${blockers}${query}`), 'bad', {bold: true}));
			continue;
		}
		out.push(line(cut(`LOCK WAIT pid ${wait.pid} waiting ${seconds(wait.seconds)}: ${oneLine(wait.query)}`), 'bad', {bold: true}));
		for (const blocker of wait.blockedBy) {
			out.push(line(cut(`  ${glyphs.blockedBy} pid ${blocker.pid} (${blocker.state}, tx ${seconds(blocker.transactionSeconds)}${blocker.application ? `, ${blocker.application}` : ''}): ${oneLine(blocker.query)}`), 'attention'));
		}
	}
	if (activity.lockWaits.length === 0) {
		const longest = activity.longestTransaction;
		out.push(line(cut(`no lock waits${longest && !compact ? `${glyphs.separator}longest tx: ${oneLine(longest.query)}` : ''}`), 'ok'));
	}
	if (out.length <= height) return out;
	const kept = out.slice(0, height);
	const hidden = out.length - height + 1;
	kept[height - 1] = line(cut(`${glyphs.more.down} ${hidden} more lock-wait lines`), 'bad');
	return kept;
}
