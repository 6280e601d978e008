/**
 * The GO gate's evaluation, pure: each condition of the plan's gate (and of
 * the gate preview) against the run state, with or without the operator's
 * attestation. The runner asks the Decider and records the outcome; what holds
 * is decided here.
 */
import type {LoadedPlan} from '../plan/load.js';
import type {GateItem} from '../plan/schema.js';
import type {GateConditionState, RunState} from '../state/types.js';

export type GateInput = {
	readonly plan: LoadedPlan;
	readonly gate: GateItem;
	readonly state: RunState;
	/** The conditions the gate preview adds (rehearsal fingerprint, lock impact). */
	readonly extra?: readonly GateConditionState[];
};

/** Every condition as it stands; `attested`: the operator gave GO (typed the word, or --go). */
export function gateConditions({plan, gate, state, extra = []}: GateInput, attested: boolean): GateConditionState[] {
	// A probes item also says what it counted ("11 probes as app_user: 4 ran, 4 unchanged, …").
	const counted = (id: string) => (plan.byId.get(id)?.item.kind === 'probes' && state.items[id]?.evidence?.actual ? ` (${state.items[id]!.evidence!.actual})` : '');
	const describe = (ids: readonly string[]) => ids.map((id) => `${id}: ${state.items[id]?.status ?? 'pending'}${counted(id)}`).join(', ');
	const allPassed = (ids: readonly string[]) => ids.every((id) => state.items[id]?.status === 'passed');
	const go = gate.go.map((c) => ({
		id: c.id,
		text: c.text,
		side: 'go' as const,
		attest: Boolean(c.attest),
		holds: c.items ? allPassed(c.items) && (!c.attest || attested) : attested,
		evidence: c.items ? describe(c.items) : 'operator attests by typing the word',
	}));
	const noGo = gate.noGo.map((c) => ({
		id: c.id,
		text: c.text,
		side: 'no-go' as const,
		attest: Boolean(c.attest),
		// A NO-GO condition is present when its evidence items did not all pass; attested ones are cleared by the operator's GO.
		holds: c.items ? !allPassed(c.items) : !attested,
		evidence: c.items ? describe(c.items) : 'operator attests it is absent by typing the word',
	}));
	return [...go, ...noGo, ...extra];
}

/** The conditions that stop the gate: a GO that does not hold, a NO-GO that is present (warnings never stop it). */
export function failingConditions(conditions: readonly GateConditionState[]): GateConditionState[] {
	return conditions.filter((c) => !c.warning && (c.side === 'go' ? !c.holds : c.holds));
}

/** Before the operator attests: the conditions no attestation can clear (the operator cannot give GO over them). */
export function blockingConditions(conditions: readonly GateConditionState[]): GateConditionState[] {
	return failingConditions(conditions).filter((c) => !c.attest);
}

export function conditionLine(c: GateConditionState): string {
	const mark = c.warning && !c.holds ? 'WARN  !' : c.side === 'go' ? (c.holds ? 'GO    ✓' : 'GO    ✗') : c.holds ? 'NO-GO ✗ present' : 'NO-GO ✓ absent';
	return `${mark}  ${c.text}  [${c.evidence}]`;
}
