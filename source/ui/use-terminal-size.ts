/** The terminal size, following resizes; fixed when the caller gives one (tests, tmux scripts). */
import {useEffect, useState} from 'react';
import {useStdout} from 'ink';

export type TerminalSize = {readonly columns: number; readonly rows: number};

export function useTerminalSize(fixed: Partial<TerminalSize> = {}): TerminalSize {
	const {stdout} = useStdout();
	const measure = (): TerminalSize => ({
		columns: fixed.columns ?? (stdout.columns || 80),
		rows: fixed.rows ?? (stdout.rows || 24),
	});
	const [size, setSize] = useState(measure);
	useEffect(() => {
		const onResize = () => setSize(measure());
		stdout.on('resize', onResize);
		onResize();
		return () => {
			stdout.off('resize', onResize);
		};
		// eslint-disable-next-line react-hooks/exhaustive-deps
	}, [stdout, fixed.columns, fixed.rows]);
	return size;
}
