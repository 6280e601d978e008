/** Waiting for text in Ink frames, instead of sleeping. */
import type {render} from 'ink-testing-library';

type Rendered = ReturnType<typeof render>;

// eslint-disable-next-line no-control-regex
const ANSI = /\u001B\[[0-?]*[ -/]*[@-~]/g;

export function frame(rendered: Rendered): string {
	return (rendered.lastFrame() ?? '').replace(ANSI, '');
}

/** Resolves once the condition holds on the last frame; fails with the frame after the deadline. */
export async function waitFor(rendered: Rendered, condition: (text: string) => boolean, timeoutMs = 3000): Promise<string> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const text = frame(rendered);
		if (condition(text)) return text;
		if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms; last frame:\n${text}`);
		await new Promise((resolve) => setTimeout(resolve, 10));
	}
}

export const waitForText = (rendered: Rendered, text: string, timeoutMs?: number) => waitFor(rendered, (f) => f.includes(text), timeoutMs);

/**
 * Resolves once any frame drawn so far shows the text: for an App that exits right after drawing it (under
 * CI=true Ink then writes one more, empty, frame: ink-testing-library renders in debug mode).
 */
export async function waitForDrawn(rendered: Rendered, text: string, timeoutMs = 3000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!rendered.frames.some((f) => f.replace(ANSI, '').includes(text))) {
		if (Date.now() > deadline) throw new Error(`no frame within ${timeoutMs} ms showed ${JSON.stringify(text)}; last frame:\n${frame(rendered)}`);
		await new Promise((resolve) => setTimeout(resolve, 10));
	}
}

export const keys = {
	enter: '\r',
	escape: '\u001B',
	down: '\u001B[B',
	up: '\u001B[A',
	backspace: '\u007F',
	ctrlC: '\u0003',
} as const;

/** Types text one key at a time, as a person does. */
export function type(rendered: Rendered, text: string): void {
	for (const char of text) rendered.stdin.write(char);
}
