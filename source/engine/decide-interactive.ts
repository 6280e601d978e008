/**
 * The interactive Decider: each question waits for the operator, who answers
 * through the Controller (the TUI's keys). The Controller's refusals (skipping
 * a gate, a wrong confirm word) are the rules of plan/rules.ts.
 */
import type {LoadedPlan} from '../plan/load.js';
import {rollbackRefusal, skipRefusal} from '../plan/rules.js';
import type {ActionResult} from './controller.js';
import type {Decider, DeciderFactory, Prompter} from './decider.js';

const BY_ENTER = 'confirmed by the operator (Enter)';

export function interactiveDecider(options: {readonly stepMigrations?: boolean} = {}): DeciderFactory {
	return (prompter): Decider => ({
		mode: 'interactive',
		manual: async ({item, prompt}) => {
			for (;;) {
				const d = await prompter.ask({itemId: item.id, reason: 'confirm', prompt});
				if (d.type === 'confirm') return {type: 'confirmed', how: BY_ENTER};
				if (d.type !== 'retry') return d;
			}
		},
		irreversible: async ({item, prompt, word}) => {
			for (;;) {
				const d = await prompter.ask({itemId: item.id, reason: 'typed-confirm', prompt, expectText: word});
				if (d.type === 'confirm') {
					if (d.typed === word) return {type: 'confirmed', how: `${word} typed by the operator`};
				} else if (d.type !== 'retry') return d;
			}
		},
		beforeMigration: async ({item, prompt}) => {
			if (!options.stepMigrations) return {type: 'confirmed', how: 'no --step'};
			for (;;) {
				const d = await prompter.ask({itemId: item.id, reason: 'confirm', prompt});
				if (d.type === 'confirm') return {type: 'confirmed', how: BY_ENTER};
				if (d.type === 'quit' || d.type === 'rollback') return d;
			}
		},
		gate: async ({gate, prompt, conditions}) => {
			for (;;) {
				const d = await prompter.ask({itemId: gate.id, reason: 'gate', prompt, expectText: gate.word, conditions});
				if (d.type === 'quit') return d;
				if (d.type === 'confirm' && d.typed === gate.word) return {type: 'confirmed', how: `${gate.word} typed by the operator`};
			}
		},
		failed: async ({item, prompt}) => {
			const d = await prompter.ask({itemId: item.id, reason: 'failed', prompt});
			return d.type === 'confirm' ? {type: 'retry'} : d;
		},
		startRollback: async ({level, prompt, word}) => {
			const d = await prompter.ask({itemId: level.items[0]!.id, reason: 'typed-confirm', prompt, expectText: word});
			if (d.type === 'confirm' && d.typed === word) return {type: 'confirmed', how: `${word} typed by the operator`};
			return {type: 'stop', status: 'quit', message: `Rollback level ${level.level} was not confirmed; nothing was changed.`};
		},
	});
}

/** The Controller's answers to a waiting question, each refused (never thrown) when the rules say no. */
export type OperatorControls = {
	readonly confirm: (itemId: string, typed?: string) => ActionResult;
	readonly skip: (itemId: string, reason: string) => ActionResult;
	readonly retry: (itemId: string) => ActionResult;
	readonly rollback: (level: number, reason: string, typed?: string) => ActionResult;
};

export function operatorControls(prompter: Prompter, plan: LoadedPlan, databaseName: string): OperatorControls {
	const waitingFor = (itemId: string) => (prompter.waiting()?.itemId === itemId ? prompter.waiting() : undefined);
	return {
		confirm: (itemId, typed) => {
			const w = waitingFor(itemId);
			if (!w) return {ok: false, message: `${itemId} is not waiting for a confirmation.`};
			if (w.expectText !== undefined && typed !== w.expectText) return {ok: false, message: `Type exactly ${w.expectText} to confirm; "${typed ?? ''}" does not match.`};
			if (w.reason === 'failed') return {ok: false, message: 'This item failed: press r to retry it, s to skip it with a reason, or b for the rollback menu.'};
			prompter.answer({type: 'confirm', ...(typed === undefined ? {} : {typed})});
			return {ok: true, message: 'confirmed'};
		},
		skip: (itemId, reason) => {
			const entry = plan.byId.get(itemId);
			if (!entry) return {ok: false, message: `No item ${itemId}.`};
			const refusal = skipRefusal(entry.item, reason);
			if (refusal) return {ok: false, message: refusal};
			if (!waitingFor(itemId)) return {ok: false, message: `${itemId} is not waiting; only a waiting or failed item can be skipped.`};
			prompter.answer({type: 'skip', reason: reason.trim()});
			return {ok: true, message: 'skipped'};
		},
		retry: (itemId) => {
			if (waitingFor(itemId)?.reason !== 'failed') return {ok: false, message: `${itemId} has not failed; nothing to retry.`};
			prompter.answer({type: 'retry'});
			return {ok: true, message: 'retrying'};
		},
		rollback: (level, reason, typed) => {
			const levelDef = plan.plan.rollback.find((l) => l.level === level);
			if (!levelDef) return {ok: false, message: `The plan has no rollback level ${level}.`};
			const refusal = rollbackRefusal(levelDef, databaseName, typed);
			if (refusal) return {ok: false, message: refusal};
			if (!prompter.waiting()) return {ok: false, message: 'A rollback starts when the run is waiting (after a failure, at a prompt); wait for the current step to finish.'};
			prompter.answer({type: 'rollback', level, reason: reason || `operator chose rollback level ${level}`});
			return {ok: true, message: `rollback level ${level} starting`};
		},
	};
}
