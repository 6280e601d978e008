/**
 * useState for what keys change (the mode, the prompt text, the selection,
 * the footer message). An update here renders in React's sync lane: in a
 * microtask right after the key's stdin event, not in a scheduler task queued
 * behind the output chunks that arrive meanwhile (react-reconciler 0.33 gives
 * a plain setState outside React's own events the default lane, which Ink
 * renders from setImmediate). The value is also readable at once through
 * `current()`, so keys typed faster than frames (tmux send-keys, a paste)
 * each see the previous one.
 */
import {useCallback, useRef, useSyncExternalStore} from 'react';

type Cell<T> = {value: T; readonly listeners: Set<() => void>};

export type UrgentState<T> = readonly [value: T, set: (next: T | ((previous: T) => T)) => void, current: () => T];

export function useUrgentState<T>(initial: T): UrgentState<T> {
	const cell = useRef<Cell<T> | undefined>(undefined);
	cell.current ??= {value: initial, listeners: new Set()};
	const own = cell.current;
	const subscribe = useCallback(
		(listener: () => void) => {
			own.listeners.add(listener);
			return () => void own.listeners.delete(listener);
		},
		[own],
	);
	const current = useCallback(() => own.value, [own]);
	const set = useCallback(
		(next: T | ((previous: T) => T)) => {
			const value = typeof next === 'function' ? (next as (previous: T) => T)(own.value) : next;
			if (Object.is(value, own.value)) return;
			own.value = value;
			for (const listener of own.listeners) listener();
		},
		[own],
	);
	return [useSyncExternalStore(subscribe, current), set, current];
}
