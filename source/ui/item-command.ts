/**
 * The exact command or query of an item: the masked one from its evidence when
 * it ran, else what the plan says it will run. Masked again here, so a URL
 * with a password can never reach the screen.
 */
import type {Item} from '../plan/schema.js';
import type {ItemState} from '../state/types.js';
import {maskUrl} from '../db/target.js';

function fromPlan(item: Item): string | undefined {
	switch (item.kind) {
		case 'sql-file':
			return `psql -X -v ON_ERROR_STOP=1 --single-transaction -f ${item.file}`;
		case 'query':
			return item.sql.replace(/\s+/g, ' ').trim();
		case 'shell':
			return [item.command, ...item.args].join(' ');
		case 'http':
			return `GET <app-url>${item.path} (expect ${item.expectStatus})`;
		case 'backup':
			return `pg_dump -Fc (${item.prefix}-<timestamp>.dump)`;
		case 'baseline':
			return `baseline ${item.label}${item.compare ? ', compared with before' : ''}`;
		case 'action':
			return `action ${item.action}`;
		case 'criterion':
			return `all passed: ${item.items.join(', ')}`;
		case 'probes':
			return `the plan's probes as the application role, each in BEGIN … ROLLBACK${item.after ? `, compared with before ${item.after}` : ' (before the migrations)'}`;
		case 'gate':
		case 'manual':
		case 'note':
			return undefined;
	}
}

export function itemCommand(item: Item, state: ItemState | undefined): string | undefined {
	const command = state?.evidence?.command ?? fromPlan(item);
	return command === undefined ? undefined : maskUrl(command);
}
