/**
 * A question on the terminal before the TUI starts (changed settings on
 * resume, --fresh over open resources, a leftover that holds data): one
 * readline for the asking, loaded only then, never on the way to the first
 * frame.
 */
export async function withQuestions<T>(ask: (question: (text: string) => Promise<string>) => Promise<T>): Promise<T> {
	const {createInterface} = await import('node:readline/promises');
	const rl = createInterface({input: process.stdin, output: process.stderr});
	try {
		return await ask(async (text) => (await rl.question(text)).trim());
	} finally {
		rl.close();
	}
}
