/**
 * The root of the operator TUI, and the only place that exits: when the run
 * is done (`controller.done`), after a confirmed quit, or on `q` in watch mode.
 *
 * It renders the engine's state and acts only through the Controller: no SQL,
 * no child processes. With a WatchSource instead of a Controller it is the
 * read-only `runbook watch` view: the same panes, navigation and `q` only.
 * What a key does is decided by keymap.ts, a pure function; App performs the
 * actions it returns.
 */
import {useEffect, useLayoutEffect, useMemo, useRef} from 'react';
import {Box, useApp, useInput, type Key} from 'ink';
import {rollbackConfirmWord} from '../plan/rules.js';
import type {Controller} from '../engine/controller.js';
import type {WatchSource} from './watch-source.js';
import type {Tone} from './pane-line.js';
import {glyphsFor} from './glyphs.js';
import {StyleContext} from './style-context.js';
import {useRunSnapshot} from './use-run-snapshot.js';
import {useUrgentState} from './use-urgent-state.js';
import {useTerminalSize} from './use-terminal-size.js';
import {useNow} from './use-now.js';
import {checklistEntries} from './checklist-entries.js';
import {databaseName} from './database-name.js';
import {promptLabel, type UiMode} from './ui-mode.js';
import {buildFrame, followedItem, type Flash} from './frame.js';
import {Lines} from './Lines.js';
import {TextPrompt} from './TextPrompt.js';
import {actionableId, keyActions, type KeyAction, type KeyView} from './keymap.js';

export type AppProps = {
	/** Drives a run: the only way the TUI acts. */
	readonly controller?: Controller;
	/** Follows a run read-only (`runbook watch`), when there is no controller. */
	readonly watch?: WatchSource;
	/** ASCII marks instead of Unicode (`--ascii`, or a locale without UTF-8). */
	readonly ascii?: boolean;
	/** Colour (false when NO_COLOR is set). */
	readonly color?: boolean;
	/** Fixed terminal width (tests); else the terminal's, following resizes. */
	readonly columns?: number;
	/** Fixed terminal height (tests); else the terminal's. */
	readonly rows?: number;
	/** The clock (tests); else Date.now, ticking every second. */
	readonly now?: () => number;
	/** Output frames at least this many ms after the previous frame (default 80); a key's frame does not wait. */
	readonly throttleMs?: number;
	/** At most this many frames a second for output (default 15); keys are drawn at once and counted. */
	readonly maxFps?: number;
};

export function App(props: AppProps) {
	const {controller, watch} = props;
	const {exit} = useApp();
	const glyphs = glyphsFor(props.ascii ?? false);
	const style = useMemo(() => ({color: props.color ?? true, glyphs}), [props.color, glyphs]);
	const size = useTerminalSize({...(props.columns === undefined ? {} : {columns: props.columns}), ...(props.rows === undefined ? {} : {rows: props.rows})});
	const now = useNow(props.now);
	const {snapshot, refresh, drawn} = useRunSnapshot(controller, watch, props.throttleMs, props.maxFps);
	// Every commit is a frame (Ink draws each at once): the pacer counts them all.
	useLayoutEffect(drawn);
	const {state, activity} = snapshot;
	const plan = controller?.plan ?? watch?.plan;
	if (!plan) throw new Error('runbook bug: App needs a controller or a watch source');
	const target = controller?.target ?? state.target;
	const isWatch = controller === undefined;

	// What keys change renders on the next frame (sync lane), and keys arriving
	// faster than frames (tmux send-keys) read the latest mode and prompt text.
	const [mode, setMode, currentMode] = useUrgentState<UiMode>({kind: 'main'});
	const [promptView, setPrompt, currentPrompt] = useUrgentState<{value: string; error?: string}>({value: ''});
	const [flash, setFlash] = useUrgentState<Flash | undefined>(undefined);
	const [pinned, setPinned] = useUrgentState<string | undefined>(undefined);
	const [finished, setFinished] = useUrgentState(false);

	useEffect(() => {
		if (!controller) return;
		let live = true;
		controller.done.then(
			() => {
				if (!live) return;
				refresh();
				setFinished(true);
			},
			(error: unknown) => {
				if (!live) return;
				setFlash({text: `The run stopped with an error: ${error instanceof Error ? error.message : String(error)}`, tone: 'bad'});
				setFinished(true);
			},
		);
		return () => {
			live = false;
		};
	}, [controller, refresh]);

	useEffect(() => {
		if (finished) exit();
	}, [finished, exit]);

	// A new item waiting for the operator matters more than the last message.
	const waitingKey = state.waiting ? `${state.waiting.itemId}:${state.waiting.reason}` : '';
	useEffect(() => {
		if (waitingKey) setFlash(undefined);
	}, [waitingKey]);

	const entries = useMemo(() => checklistEntries(plan, state), [plan, state]);
	const followId = followedItem(entries, state);
	const selectedId = pinned !== undefined && entries.some((entry) => entry.item.id === pinned) ? pinned : followId;
	const selectedEntry = entries.find((entry) => entry.item.id === selectedId);
	const selectedStatus = selectedId ? (state.items[selectedId]?.status ?? 'pending') : undefined;

	const show = (text: string, tone: Tone = 'plain') => setFlash({text, tone});
	const answer = (result: {ok: boolean; message: string}) => show(result.message, result.ok ? 'ok' : 'bad');

	const move = (delta: number) => {
		// From the latest selection, so keys typed faster than renders all count.
		setPinned((previous) => {
			const from = previous !== undefined && entries.some((entry) => entry.item.id === previous) ? previous : followId;
			const index = entries.findIndex((entry) => entry.item.id === from);
			const next = entries[Math.min(entries.length - 1, Math.max(0, (index < 0 ? 0 : index) + delta))];
			return next?.item.id ?? previous;
		});
	};

	const quitNow = () => {
		if (!controller) return exit();
		setMode({kind: 'quitting'});
		show('Stopping after the current step; the state is kept (runbook --resume continues)…', 'attention');
		controller.quit().then(
			() => setFinished(true),
			(error: unknown) => {
				show(`Quit failed: ${error instanceof Error ? error.message : String(error)}`, 'bad');
				setMode({kind: 'main'});
			},
		);
	};

	const failedRow = (): string | undefined => {
		const ids = [actionableId({selectedId, selectedStatus, waiting: state.waiting}), ...entries.map((entry) => entry.item.id)].filter((id): id is string => id !== undefined);
		const failed = ids.find((id) => state.items[id]?.status === 'failed');
		if (!failed) return undefined;
		return state.items[failed]?.matrixRow ?? plan.byId.get(failed)?.item.onFailure;
	};

	const dbName = databaseName(target);
	const levelNumbers = plan.plan.rollback.map((level) => level.level);

	const perform = (action: KeyAction) => {
		switch (action.do) {
			case 'mode':
				return setMode(action.mode);
			case 'open-prompt':
				setPrompt({value: ''});
				return setMode({kind: 'prompt', prompt: action.prompt});
			case 'prompt-text':
				return setPrompt(action.error === undefined ? {value: action.value} : {value: action.value, error: action.error});
			case 'flash':
				return show(action.text, action.tone);
			case 'follow':
				setPinned(undefined);
				return setFlash(undefined);
			case 'pin':
				return setPinned(action.itemId);
			case 'move':
				return move(action.delta);
			case 'exit':
				return exit();
			case 'quit':
				return quitNow();
		}
		if (!controller) return;
		switch (action.do) {
			case 'confirm':
				return answer(controller.confirm(action.itemId, action.typed));
			case 'skip':
				return answer(controller.skip(action.itemId, action.reason));
			case 'retry':
				return answer(controller.retry(action.itemId));
			case 'note':
				return answer(controller.note(action.text));
			case 'rollback':
				return answer(controller.rollback(action.level, action.reason, action.typed));
		}
	};

	const onKey = (input: string, key: Key) => {
		const view: KeyView = {
			watch: isWatch,
			finished,
			waiting: state.waiting,
			selectedId,
			selectedStatus,
			statusOf: (id) => state.items[id]?.status,
			rollbackLevels: levelNumbers,
			suggestedLevel: plan.plan.decisionMatrix.find((row) => row.id === failedRow())?.level ?? levelNumbers[0] ?? 1,
			confirmWord: (level) => rollbackConfirmWord(plan.plan.rollback.find((l) => l.level === level) ?? {level}, dbName),
			promptValue: currentPrompt().value,
		};
		for (const action of keyActions(currentMode(), input, key, view)) perform(action);
		// The key's frame shows the latest output too, in place of the pending output frame.
		refresh();
	};

	const onKeyRef = useRef(onKey);
	onKeyRef.current = onKey;
	useInput((input, key) => onKeyRef.current(input, key));

	const frame = buildFrame({
		plan,
		state,
		activity,
		target,
		targetSource: controller?.targetSource ?? state.targetSource,
		now,
		columns: size.columns,
		rows: size.rows,
		glyphs,
		watch: isWatch,
		mode,
		entries,
		selectedId,
		selectedStatus,
		flash,
		finished,
		failedRow: mode.kind === 'rollback-menu' ? failedRow() : undefined,
		databaseName: dbName,
	});
	const {layout} = frame;
	const footer =
		frame.footer === undefined && mode.kind === 'prompt' ? (
			<TextPrompt label={promptLabel(mode.prompt)} value={promptView.value} {...(promptView.error === undefined ? {} : {error: promptView.error})} width={layout.width} />
		) : (
			<Lines lines={frame.footer ?? []} width={layout.width} height={2} />
		);

	return (
		<StyleContext.Provider value={style}>
			{/* Clipped only vertically: the panes cut their own lines (Lines.tsx). */}
			<Box flexDirection="column" width={layout.width} height={layout.height} overflowY="hidden">
				{frame.blocks.map((block, index) =>
					block.kind === 'cell' ? (
						<Lines key={index} lines={block.cell.lines} width={block.cell.width} height={block.cell.height} />
					) : (
						<Box key={index} flexDirection="row" height={block.height} flexShrink={0}>
							{block.cells.map((c, i) => (
								<Lines key={i} lines={c.lines} width={c.width} height={c.height} />
							))}
						</Box>
					),
				)}
				{footer}
			</Box>
		</StyleContext.Provider>
	);
}
