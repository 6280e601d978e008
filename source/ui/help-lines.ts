/** The `?` overlay: every key and what it does. */
import {line, type PaneLine} from './pane-line.js';
import {wrapText} from '../text.js';

export function helpLines(watch: boolean, width: number): PaneLine[] {
	const keys: Array<[string, string]> = watch
		? [
				['up/down, k/j', 'select an item to see its detail'],
				['Esc', 'follow the running item again'],
				['?', 'this help'],
				['q', 'leave the view (the run is not affected)'],
			]
		: [
				['up/down, k/j', 'select an item to see its detail'],
				['Esc', 'follow the running item again'],
				['Enter', 'confirm the waiting manual item; at the GO gate or an irreversible step, opens the prompt to type the word'],
				['s', 'skip the waiting or failed item, with a typed reason (never a gate or a migration)'],
				['r', 'retry the failed item'],
				['b', 'rollback menu: decision matrix, levels; typing the database name (2, 3) or yes (1) starts it'],
				['n', 'add an operator note to the journal'],
				['?', 'this help'],
				['q, Ctrl-C', 'quit after asking; the state is kept, `runbook --resume` continues'],
			];
	return [
		line(watch ? 'Keys (read-only view):' : 'Keys:', 'title', {bold: true}),
		...keys.flatMap(([key, what]) => wrapText(what, Math.max(10, width - 15)).map((text, i) => line(`${(i === 0 ? key : '').padEnd(14)} ${text}`))),
		line(''),
		line('No single key does anything irreversible. Any key closes this help.', 'muted'),
	];
}
