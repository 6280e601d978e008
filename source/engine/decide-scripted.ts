/**
 * The scripted Decider (`run --yes`, `rollback N --yes`, rehearsals): the
 * answers were given on the command line. A question they do not answer stops
 * the run with a message naming the flag that would.
 */
import {REHEARSED_MANUAL} from '../state/types.js';
import type {Decider, DeciderFactory} from './decider.js';

export type ScriptedAnswers = {
	/** Which manual items are confirmed ('all' or ids). */
	readonly confirm?: 'all' | ReadonlySet<string>;
	/** The GO decision (and the operator's attestations). */
	readonly go?: boolean;
	/** The typed confirmation for irreversible items and rollback levels (the database name). */
	readonly confirmDatabase?: string;
	/** A rehearsal: manual items are recorded as confirmed automatically, not by the operator. */
	readonly rehearsal?: boolean;
};

export function scriptedDecider(answers: ScriptedAnswers): DeciderFactory {
	return (): Decider => ({
		mode: 'yes',
		manual: async ({item}) => {
			if (answers.confirm === 'all' || answers.confirm?.has(item.id)) return {type: 'confirmed', how: answers.rehearsal ? REHEARSED_MANUAL : 'confirmed with --confirm'};
			return {type: 'stop', status: 'stopped-at-gate', message: `Manual item ${item.id} ("${item.title}") needs the operator: pass --confirm ${item.id} (or --confirm all) to record that it was done.`};
		},
		irreversible: async ({item, kind, word}) => {
			if (kind === 'yes' || answers.confirmDatabase === word) return {type: 'confirmed', how: kind === 'yes' ? 'confirmed with --yes' : 'confirmed with --confirm-database'};
			return {type: 'stop', status: 'stopped-at-gate', message: `${item.id} is irreversible and needs the database name: pass --confirm-database ${word}.`};
		},
		beforeMigration: async () => ({type: 'confirmed', how: 'scripted run'}),
		gate: async ({gate}) => {
			if (answers.go) return {type: 'confirmed', how: 'GO given with --go'};
			return {type: 'stop', status: 'stopped-at-gate', message: `Stopped at the GO gate ${gate.id}; rerun with --go --resume to continue.`, failure: {error: 'Stopped at the GO gate: pass --go to record the GO decision.', actual: '--go not given'}};
		},
		failed: async ({item, error}) => ({type: 'stop', status: 'failed', message: `${item.id} failed: ${error}`}),
		startRollback: async ({level, kind, word}) => {
			if (kind === 'yes' || answers.confirmDatabase === word) return {type: 'confirmed', how: kind === 'yes' ? 'confirmed with --yes' : 'confirmed with --confirm-database'};
			return {type: 'stop', status: 'stopped-at-gate', message: `Rollback level ${level.level} (${level.title}) needs the database name: pass --confirm-database ${word}. Nothing was changed.`};
		},
	});
}
