/**
 * Key press → the terminal shows the answer. `?` opens the help; the answer
 * is the first time the help's last line reaches the terminal after the press
 * (pty-tap marks, wall clock). The clock starts before `tmux send-keys` is
 * spawned, so the figure includes delivering the key. `?` again closes the
 * help (waited for with capture-pane, only to sequence the presses).
 */
import type {TmuxSession} from './tmux.js';
import {waitFor} from './tmux.js';
import type {TapReport} from './pty-tap.js';

export const HELP_MARK = 'No single key does anything irreversible';

export async function pressHelp(session: TmuxSession, presses: number, keepGoing: () => boolean = () => true): Promise<{sent: number[]; unanswered: number}> {
	const sent: number[] = [];
	let unanswered = 0;
	for (let i = 0; i < presses && keepGoing(); i++) {
		for (const opening of [true, false]) {
			const at = Date.now();
			try {
				await session.sendKeys('?');
			} catch (error) {
				// The program ended meanwhile (the flood is over, the pane and tmux went with it): the presses so far stand.
				const ended = await waitFor(() => (keepGoing() ? undefined : true), 1000, 'the program to end', 20).catch(() => false);
				if (!ended) throw error;
				return {sent, unanswered};
			}
			if (opening) sent.push(at);
			try {
				await waitFor(async () => ((await session.capture()).includes(HELP_MARK) === opening ? true : undefined), 10_000, opening ? 'the help to open' : 'the help to close', 5);
			} catch {
				if (keepGoing()) unanswered += 1;
			}
		}
	}
	return {sent, unanswered};
}

/** For each press, the delay to the first marker after it (NaN when none came). */
export function latencies(sent: readonly number[], tap: TapReport): number[] {
	return sent.map((at) => {
		const mark = tap.marks.find((m) => m >= at);
		return mark === undefined ? Number.NaN : mark - at;
	});
}
