/**
 * The operator's word on something a run created that holds data (the
 * pre-restore copy of rollback level 3): asked on the terminal by `runbook
 * cleanup`, and by an interactive --resume before the TUI starts.
 */
import {describeResource, type ResourceRecord} from '../state/resources.js';
import {humanBytes} from '../backup/human-bytes.js';
import {withQuestions} from './ask.js';

export type LeftoverDecision = 'drop' | 'forget' | 'keep';

/** Its name drops it, `keep` keeps it and stops tracking it, Enter leaves it listed. */
export async function askAboutLeftover(r: ResourceRecord): Promise<LeftoverDecision> {
	return withQuestions(async (question) => {
		for (;;) {
			const answer = await question(`\n${describeResource(r, humanBytes)}\n  It holds data. Type its name to drop it, "keep" to keep it and stop tracking it, or Enter to leave it listed: `);
			if (answer === '') return 'keep';
			if (answer === 'keep') return 'forget';
			if (answer === r.name) return 'drop';
			process.stderr.write(`  "${answer}" is not its name (${r.name}); nothing was done to it.\n`);
		}
	});
}
