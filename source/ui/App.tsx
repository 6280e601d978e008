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
import {useEffect, useMemo, useRef, useState} from 'react';
import {Box, Text, useApp, useInput, type Key} from 'ink';
import {isSkippable, rollbackConfirmWord} from '../plan/rules.js';
import type {Controller} from '../engine/controller.js';
import type {RunState} from '../state/types.js';
import type {WatchSource} from './watch-source.js';
import {glyphsFor} from './glyphs.js';
import {StyleContext} from './style-context.js';
import {useRunSnapshot} from './use-run-snapshot.js';
import {useTerminalSize} from './use-terminal-size.js';
import {useNow} from './use-now.js';
import {computeLayout} from './layout.js';
import {checklistEntries} from './checklist-entries.js';
import {checklistLines} from './checklist-lines.js';
import {detailLines} from './detail-lines.js';
import {dbLines} from './db-lines.js';
import {timelineLines} from './timeline-lines.js';
import {headerLines} from './header-lines.js';
import {helpLines} from './help-lines.js';
import {rollbackMenuLines} from './rollback-menu-lines.js';
import {footerKeys} from './footer-keys.js';
import {databaseName} from './database-name.js';
import {promptLabel, type UiMode} from './ui-mode.js';
import {line, type PaneLine, type Tone} from './pane-line.js';
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
	/** Coalesce state updates into at most one render per this many ms (default 80). */
	readonly throttleMs?: number;
};

type Flash = {readonly text: string; readonly tone: Tone};

const FINISHED: ReadonlySet<RunState['status']> = new Set(['completed', 'failed', 'stopped-at-gate', 'no-go', 'interrupted', 'quit', 'rolled-back']);

export function App(props: AppProps) {
	const {controller, watch} = props;
	const {exit} = useApp();
	const glyphs = glyphsFor(props.ascii ?? false);
	const style = useMemo(() => ({color: props.color ?? true, glyphs}), [props.color, glyphs]);
	const size = useTerminalSize({...(props.columns === undefined ? {} : {columns: props.columns}), ...(props.rows === undefined ? {} : {rows: props.rows})});
	const now = useNow(props.now);
	const {snapshot, refresh} = useRunSnapshot(controller, watch, props.throttleMs);
	const {state, activity} = snapshot;
	const plan = controller?.plan ?? watch?.plan;
	if (!plan) throw new Error('runbook bug: App needs a controller or a watch source');
	const target = controller?.target ?? state.target;
	const isWatch = controller === undefined;

	// Keys can arrive faster than React re-renders (tmux send-keys): the mode and
	// the prompt text live in refs, updated at once, and the state mirrors them.
	const modeRef = useRef<UiMode>({kind: 'main'});
	const [mode, setModeState] = useState<UiMode>(modeRef.current);
	const setMode = (next: UiMode) => {
		modeRef.current = next;
		setModeState(next);
	};
	const promptRef = useRef<{value: string; error?: string}>({value: ''});
	const [promptView, setPromptView] = useState(promptRef.current);
	const setPrompt = (next: {value: string; error?: string}) => {
		promptRef.current = next;
		setPromptView(next);
	};
	const [flash, setFlash] = useState<Flash | undefined>();
	const [pinned, setPinned] = useState<string | undefined>();
	const [finished, setFinished] = useState(false);

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
	const followId =
		state.waiting?.itemId ??
		state.currentItem ??
		entries.find((entry) => {
			const status = state.items[entry.item.id]?.status ?? 'pending';
			return status !== 'passed' && status !== 'skipped';
		})?.item.id ??
		entries[entries.length - 1]?.item.id;
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
			promptValue: promptRef.current.value,
		};
		for (const action of keyActions(modeRef.current, input, key, view)) perform(action);
	};

	const onKeyRef = useRef(onKey);
	onKeyRef.current = onKey;
	useInput((input, key) => onKeyRef.current(input, key));

	const layout = computeLayout(size.columns, size.rows, plan.plan.timeline.length);
	const targetSource = controller?.targetSource ?? state.targetSource;
	const header = headerLines({plan, state, target, ...(targetSource ? {targetSource} : {}), now, width: layout.width, glyphs, watch: isWatch});
	const rule = line(glyphs.rule.repeat(layout.width), 'muted');

	let body: PaneLine[] | undefined;
	if (mode.kind === 'help') body = helpLines(isWatch, layout.width);
	if (mode.kind === 'rollback-menu') {
		body = rollbackMenuLines({plan, highlightRow: failedRow(), selectedLevel: mode.selectedLevel, databaseName: dbName, width: layout.width, height: layout.bodyHeight, glyphs});
	}
	const checklist = checklistLines({entries, state, selectedId, width: layout.checklistWidth, height: layout.checklistHeight, glyphs, now});
	const detail = detailLines({plan, entry: selectedEntry, state, width: layout.detailWidth, height: layout.detailHeight, glyphs, now});
	const db = dbLines({activity, width: layout.dbWidth, height: layout.dbHeight, glyphs});
	const timeline = timelineLines({plan: plan.plan, state, now, width: layout.timelineWidth, height: layout.timelineHeight, glyphs});

	const separator = (height: number) => <Lines lines={Array.from({length: height}, () => line(glyphs.vertical, 'muted'))} width={1} height={height} />;
	const waitingItem = state.waiting ? plan.byId.get(state.waiting.itemId)?.item : undefined;
	const keys = footerKeys(state, {watch: isWatch, ...(selectedStatus === undefined ? {} : {selectedStatus}), finished: finished || FINISHED.has(state.status), ...(waitingItem ? {waitingSkippable: isSkippable(waitingItem)} : {})});

	let footer;
	if (mode.kind === 'prompt') {
		footer = (
			<TextPrompt label={promptLabel(mode.prompt)} value={promptView.value} {...(promptView.error === undefined ? {} : {error: promptView.error})} width={layout.width} />
		);
	} else {
		const first: PaneLine =
			mode.kind === 'quit-confirm'
				? line('Quit now? The state is kept and `runbook --resume` continues. y = quit, any other key = stay', 'attention', {bold: true})
				: flash
					? line(flash.text, flash.tone)
					: state.waiting && !isWatch
						? line(`Waiting: ${state.waiting.prompt}`, 'attention', {bold: true})
						: line(state.statusMessage && state.status !== 'running' ? state.statusMessage : '', 'muted');
		footer = <Lines lines={[first, line(keys, 'muted')]} width={layout.width} height={2} />;
	}

	return (
		<StyleContext.Provider value={style}>
			<Box flexDirection="column" width={layout.width} height={layout.height} overflow="hidden">
				<Lines lines={[...header, rule]} width={layout.width} height={layout.headerHeight} />
				{body ? (
					<Lines lines={body} width={layout.width} height={layout.bodyHeight + (layout.kind === 'wide' ? 0 : layout.dbHeight + layout.timelineHeight + 1)} />
				) : layout.kind === 'narrow' ? (
					<>
						<Lines lines={checklist} width={layout.checklistWidth} height={layout.checklistHeight} />
						<Lines lines={detail} width={layout.detailWidth} height={layout.detailHeight} />
					</>
				) : (
					<Box flexDirection="row" height={layout.bodyHeight} flexShrink={0}>
						<Lines lines={checklist} width={layout.checklistWidth} height={layout.bodyHeight} />
						{separator(layout.bodyHeight)}
						<Box width={1} flexShrink={0}>
							<Text> </Text>
						</Box>
						<Lines lines={detail} width={layout.detailWidth} height={layout.bodyHeight} />
					</Box>
				)}
				{layout.kind === 'wide' ? (
					<>
						<Lines lines={[rule]} width={layout.width} height={1} />
						<Box flexDirection="row" height={layout.dbHeight} flexShrink={0}>
							<Lines lines={db} width={layout.dbWidth} height={layout.dbHeight} />
							{separator(layout.dbHeight)}
							<Box width={1} flexShrink={0}>
								<Text> </Text>
							</Box>
							<Lines lines={timeline} width={layout.timelineWidth} height={layout.timelineHeight} />
						</Box>
					</>
				) : body ? null : (
					<Lines lines={[rule, ...db, ...Array.from({length: Math.max(0, layout.dbHeight - db.length)}, () => line('')), ...timeline]} width={layout.width} height={1 + layout.dbHeight + layout.timelineHeight} />
				)}
				{footer}
			</Box>
		</StyleContext.Provider>
	);
}
