/** A success criterion or sign-off tick: true exactly when the items it rests on passed. */
import type {ExecContext, ItemOf, Outcome} from '../context.js';

export async function runCriterion(ctx: ExecContext<ItemOf<'criterion'>>): Promise<Outcome> {
	const item = ctx.item;
	const state = ctx.state();
	const lines = item.items.map((id) => {
		const s = state.items[id];
		const title = ctx.plan.byId.get(id)?.item.title ?? id;
		const status = s?.status ?? 'pending';
		return {id, status, line: `${status === 'passed' ? 'PASS' : status.toUpperCase()} ${id}: ${title}${s?.skipReason ? ` (skipped: ${s.skipReason})` : ''}`};
	});
	for (const l of lines) ctx.output(l.line);
	const notPassed = lines.filter((l) => l.status !== 'passed');
	return {
		ok: notPassed.length === 0,
		evidence: {
			expected: `all of ${item.items.join(', ')} passed`,
			actual: notPassed.length === 0 ? `all ${lines.length} passed` : `not passed: ${notPassed.map((l) => `${l.id} (${l.status})`).join(', ')}`,
			outputTail: lines.map((l) => l.line),
		},
		...(notPassed.length === 0 ? {} : {error: `This criterion rests on items that did not pass: ${notPassed.map((l) => `${l.id} (${l.status})`).join(', ')}.`}),
	};
}
