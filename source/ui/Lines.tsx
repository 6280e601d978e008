/**
 * Renders pane lines in a box of fixed width and height: each line is cut at
 * the box edge by its Text (never wrapped), and missing lines are blank, so
 * the layout does not move when content changes. The box clips only
 * vertically: Ink's horizontal clip re-cut every line of the frame with
 * slice-ansi (a third of each frame's cost), and the Texts already cut there.
 * A pane whose lines did not change is not rendered again (memo).
 */
import {memo, useContext} from 'react';
import {Box, Text} from 'ink';
import {lineStyle, type PaneLine} from './pane-line.js';
import {StyleContext} from './style-context.js';

type Props = {
	/** The lines to show; those past the height are not rendered. */
	readonly lines: readonly PaneLine[];
	readonly width: number;
	readonly height: number;
};

function sameLines(a: Props, b: Props): boolean {
	if (a.width !== b.width || a.height !== b.height) return false;
	if (a.lines === b.lines) return true;
	const shown = Math.min(a.height, Math.max(a.lines.length, b.lines.length));
	for (let i = 0; i < shown; i++) {
		const x = a.lines[i];
		const y = b.lines[i];
		if (x === y) continue;
		if (!x || !y || x.text !== y.text || x.tone !== y.tone || x.bold !== y.bold || x.inverse !== y.inverse) return false;
	}
	return true;
}

export const Lines = memo(function Lines({lines, width, height}: Props) {
	const {color} = useContext(StyleContext);
	if (height <= 0 || width <= 0) return null;
	return (
		<Box flexDirection="column" width={width} height={height} overflowY="hidden" flexShrink={0}>
			{lines.slice(0, height).map((paneLine, index) => {
				const style = lineStyle(paneLine, color);
				return (
					<Text key={index} wrap="truncate-end" {...(style.colour === undefined ? {} : {color: style.colour})} dimColor={style.dim} bold={style.bold} inverse={style.inverse}>
						{paneLine.text === '' ? ' ' : paneLine.text}
					</Text>
				);
			})}
		</Box>
	);
}, sameLines);
