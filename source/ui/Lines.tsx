/**
 * Renders pane lines in a box of fixed width and height: each line is cut at
 * the box edge (never wrapped), and missing lines are blank, so the layout
 * does not move when content changes.
 */
import {useContext} from 'react';
import {Box, Text} from 'ink';
import type {PaneLine, Tone} from './pane-line.js';
import {StyleContext} from './style-context.js';

type Props = {
	/** The lines to show; those past the height are not rendered. */
	readonly lines: readonly PaneLine[];
	readonly width: number;
	readonly height: number;
};

const toneColor: Readonly<Record<Tone, string | undefined>> = {
	plain: undefined,
	ok: 'green',
	bad: 'red',
	active: 'cyan',
	attention: 'yellow',
	muted: undefined,
	title: undefined,
};

export function Lines({lines, width, height}: Props) {
	const {color} = useContext(StyleContext);
	if (height <= 0 || width <= 0) return null;
	return (
		<Box flexDirection="column" width={width} height={height} overflow="hidden" flexShrink={0}>
			{lines.slice(0, height).map((paneLine, index) => {
				const tone = paneLine.tone ?? 'plain';
				const colour = color ? toneColor[tone] : undefined;
				return (
					<Text
						key={index}
						wrap="truncate-end"
						{...(colour === undefined ? {} : {color: colour})}
						dimColor={color && tone === 'muted'}
						bold={paneLine.bold === true || tone === 'title'}
						inverse={paneLine.inverse === true}
					>
						{paneLine.text === '' ? ' ' : paneLine.text}
					</Text>
				);
			})}
		</Box>
	);
}
