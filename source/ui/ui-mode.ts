/** What the keys do right now: the main view, an overlay, or a text prompt. */
export type PromptSpec =
	| {readonly purpose: 'skip'; readonly itemId: string}
	| {readonly purpose: 'note'}
	| {readonly purpose: 'typed-confirm'; readonly itemId: string; readonly expect: string}
	| {readonly purpose: 'rollback-reason'; readonly level: number}
	| {readonly purpose: 'rollback-confirm'; readonly level: number; readonly reason: string; readonly expect: string};

export type UiMode =
	| {readonly kind: 'main'}
	| {readonly kind: 'help'}
	| {readonly kind: 'quit-confirm'}
	| {readonly kind: 'quitting'}
	| {readonly kind: 'rollback-menu'; readonly selectedLevel: number}
	| {readonly kind: 'prompt'; readonly prompt: PromptSpec};

export function promptLabel(prompt: PromptSpec): string {
	switch (prompt.purpose) {
		case 'skip':
			return `Reason for skipping ${prompt.itemId}`;
		case 'note':
			return 'Note for the journal';
		case 'typed-confirm':
			return `Type ${prompt.expect} and Enter to confirm ${prompt.itemId}`;
		case 'rollback-reason':
			return `Reason for rollback level ${prompt.level}`;
		case 'rollback-confirm':
			return `Type ${prompt.expect} and Enter to start rollback level ${prompt.level}`;
	}
}
