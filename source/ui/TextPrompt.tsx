/**
 * A one-line text prompt: the label, what has been typed and a cursor, and
 * under it the error of the last attempt (a wrong word) or the keys. The App
 * feeds it keys through `editText` (Esc cancels, Enter submits).
 */
import {useContext} from 'react';
import {Box, Text} from 'ink';
import {StyleContext} from './style-context.js';
import {truncate, truncateStart} from '../text.js';

type Props = {
	/** What to type, e.g. `Type GO and Enter to confirm gate.go`. */
	readonly label: string;
	/** What has been typed so far. */
	readonly value: string;
	/** Why the last submission was refused; the prompt stays open. */
	readonly error?: string;
	readonly width: number;
	/** Shown under the prompt when there is no error. */
	readonly hint?: string;
};

export function TextPrompt({label, value, error, width, hint}: Props) {
	const {color, glyphs} = useContext(StyleContext);
	const typed = `${label}: ${value}`;
	// Keep the end in view: what is being typed matters more than the label.
	const room = Math.max(1, width - 1);
	const shown = truncateStart(typed, room, glyphs.ellipsis);
	const second = error === undefined ? (hint ?? 'Enter submit · Esc cancel') : `${error} (Esc cancels)`;
	return (
		<Box flexDirection="column" width={width} height={2} flexShrink={0}>
			<Text wrap="truncate-end" bold>
				{shown}
				{glyphs.cursor}
			</Text>
			<Text wrap="truncate-end" {...(error !== undefined && color ? {color: 'red'} : {})} bold={error !== undefined}>
				{truncate(second, width, glyphs.ellipsis)}
			</Text>
		</Box>
	);
}
