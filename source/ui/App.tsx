/**
 * The root of the operator TUI, and the only place that exits: when the run
 * is done (`controller.done`), after a confirmed quit, or on `q` in watch mode.
 *
 * It renders the engine's state and acts only through the Controller: no SQL,
 * no child processes. With a WatchSource instead of a Controller it is the
 * read-only `runbook watch` view: the same panes, navigation and `q` only.
 */
import {useEffect, useMemo, useRef, useState} from 'react';
import {Box, Text, useApp, useInput, type Key} from 'ink';
import {isSkippable} from '../plan/skippable.js';
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
import {rollbackConfirmWord, rollbackMenuLines} from './rollback-menu-lines.js';
import {footerKeys} from './footer-keys.js';
import {databaseName} from './database-name.js';
import {promptLabel, type PromptSpec, type UiMode} from './ui-mode.js';
import {line, type PaneLine, type Tone} from './pane-line.js';
import {Lines} from './Lines.js';
import {TextPrompt} from './TextPrompt.js';
import {editText} from './text-input.js';

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

	/** The item s and r act on: the selected item when it waits or failed, else the waiting one. */
	const actionableId = (): string | undefined => {
		if (selectedId && (selectedStatus === 'waiting' || selectedStatus === 'failed')) return selectedId;
		return state.waiting?.itemId;
	};

	const show = (text: string, tone: Tone = 'plain') => setFlash({text, tone});
	const answer = (result: {ok: boolean; message: string}) => show(result.message, result.ok ? 'ok' : 'bad');
	const openPrompt = (prompt: PromptSpec) => {
		setPrompt({value: ''});
		setMode({kind: 'prompt', prompt});
	};

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

	const enter = () => {
		if (!controller) return;
		const waiting = state.waiting;
		if (!waiting) {
			if (selectedId) setPinned(selectedId);
			show(`Showing ${selectedId ?? 'nothing'}; nothing is waiting for you. Esc follows the running item.`, 'muted');
			return;
		}
		if (selectedId !== waiting.itemId) {
			setPinned(undefined);
			show(`${waiting.itemId} is waiting: it is shown now; press Enter again to act on it.`, 'attention');
			return;
		}
		if (waiting.reason === 'confirm') answer(controller.confirm(waiting.itemId));
		else if (waiting.reason === 'gate' || waiting.reason === 'typed-confirm') openPrompt({purpose: 'typed-confirm', itemId: waiting.itemId, expect: waiting.expectText ?? 'yes'});
		else show(`${waiting.itemId} failed: r retries, s skips with a reason, b opens the rollback menu, q quits with the state kept.`, 'attention');
	};

	const failedRow = (): string | undefined => {
		const ids = [actionableId(), ...entries.map((entry) => entry.item.id)].filter((id): id is string => id !== undefined);
		const failed = ids.find((id) => state.items[id]?.status === 'failed');
		if (!failed) return undefined;
		return state.items[failed]?.matrixRow ?? plan.byId.get(failed)?.item.onFailure;
	};

	const dbName = databaseName(target);
	const levelNumbers = plan.plan.rollback.map((level) => level.level);

	const chooseLevel = (level: number) => {
		if (!levelNumbers.includes(level)) {
			show(`The plan has no rollback level ${level}.`, 'bad');
			return;
		}
		openPrompt({purpose: 'rollback-reason', level});
	};

	const submitPrompt = (prompt: PromptSpec, value: string): string | undefined => {
		if (!controller) return undefined;
		const text = value.trim();
		switch (prompt.purpose) {
			case 'skip': {
				if (!text) return 'Type a reason: it goes to the journal and the report.';
				answer(controller.skip(prompt.itemId, text));
				break;
			}
			case 'note': {
				if (!text) return 'Type the note, or Esc.';
				answer(controller.note(text));
				break;
			}
			case 'typed-confirm': {
				if (value !== prompt.expect) return `You typed ${JSON.stringify(value)}; type exactly ${prompt.expect} (case matters).`;
				answer(controller.confirm(prompt.itemId, value));
				break;
			}
			case 'rollback-reason': {
				if (!text) return 'Type why you roll back: it goes to the journal and the report.';
				const level = plan.plan.rollback.find((l) => l.level === prompt.level);
				openPrompt({purpose: 'rollback-confirm', level: prompt.level, reason: text, expect: rollbackConfirmWord(level, prompt.level, dbName)});
				return undefined;
			}
			case 'rollback-confirm': {
				if (value !== prompt.expect) return `You typed ${JSON.stringify(value)}; type exactly ${prompt.expect} to start rollback level ${prompt.level}.`;
				answer(controller.rollback(prompt.level, prompt.reason, value));
				break;
			}
		}
		setMode({kind: 'main'});
		return undefined;
	};

	const promptKey = (prompt: PromptSpec, input: string, key: Key) => {
		// Typed text and Enter can arrive in one chunk (a paste, tmux send-keys): split at the line end.
		const lineEnd = key.return ? -1 : input.search(/[\r\n]/);
		if (lineEnd >= 0) {
			if (lineEnd > 0) promptKey(prompt, input.slice(0, lineEnd), {...key, return: false});
			promptKey(prompt, '', {...key, return: true});
			return;
		}
		const action = editText(promptRef.current.value, input, key);
		if (action.kind === 'cancel') {
			setMode({kind: 'main'});
			show('Cancelled.', 'muted');
		} else if (action.kind === 'edit') {
			setPrompt({value: action.value});
		} else if (action.kind === 'submit') {
			const refusal = submitPrompt(prompt, action.value);
			if (refusal !== undefined) setPrompt({value: '', error: refusal});
		}
	};

	const onKey = (input: string, key: Key) => {
			const mode = modeRef.current;
			if (mode.kind === 'prompt') return promptKey(mode.prompt, input, key);
			if (mode.kind === 'help') {
				setMode({kind: 'main'});
				return;
			}
			if (mode.kind === 'quit-confirm') {
				if (input === 'y' || input === 'Y' || (key.ctrl && input === 'c')) quitNow();
				else {
					setMode({kind: 'main'});
					show('Not quitting.', 'muted');
				}
				return;
			}
			if (mode.kind === 'rollback-menu') {
				if (key.escape || input === 'q' || input === 'b') setMode({kind: 'main'});
				else if (input === '1' || input === '2' || input === '3') chooseLevel(Number(input));
				else if (key.upArrow || input === 'k' || key.downArrow || input === 'j') {
					const index = levelNumbers.indexOf(mode.selectedLevel);
					const next = levelNumbers[Math.min(levelNumbers.length - 1, Math.max(0, index + (key.upArrow || input === 'k' ? -1 : 1)))];
					if (next !== undefined) setMode({kind: 'rollback-menu', selectedLevel: next});
				} else if (key.return) chooseLevel(mode.selectedLevel);
				return;
			}
			if (mode.kind !== 'main') return;
			if (key.upArrow || input === 'k') return move(-1);
			if (key.downArrow || input === 'j') return move(1);
			if (key.escape) {
				setPinned(undefined);
				setFlash(undefined);
				return;
			}
			if (input === '?') return setMode({kind: 'help'});
			if (input === 'q' || (key.ctrl && input === 'c')) {
				if (isWatch || finished) return exit();
				setMode({kind: 'quit-confirm'});
				return;
			}
			if (isWatch || !controller) return;
			if (key.return) return enter();
			if (input === 's') {
				const id = actionableId();
				if (!id) return show('Nothing to skip: only the waiting or a failed item can be skipped.', 'muted');
				return openPrompt({purpose: 'skip', itemId: id});
			}
			if (input === 'r') {
				const id = actionableId();
				if (!id || state.items[id]?.status !== 'failed') return show('Nothing to retry: r runs a failed item again.', 'muted');
				return answer(controller.retry(id));
			}
			if (input === 'n') return openPrompt({purpose: 'note'});
			if (input === 'b') {
				const row = plan.plan.decisionMatrix.find((r) => r.id === failedRow());
				setMode({kind: 'rollback-menu', selectedLevel: row?.level ?? levelNumbers[0] ?? 1});
			}
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
