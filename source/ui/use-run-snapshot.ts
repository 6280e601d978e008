/**
 * Subscribes to the controller (or a watch source) and coalesces updates: at
 * most one re-render per `throttleMs`, however fast events arrive, so a child
 * printing megabytes per second cannot starve the keys. The state itself is
 * read when the timer fires, never queued, so memory does not grow.
 */
import {useCallback, useEffect, useRef, useState} from 'react';
import type {Controller} from '../engine/controller.js';
import type {RunSnapshot} from './run-snapshot.js';
import type {WatchSource} from './watch-source.js';

function read(controller: Controller | undefined, watch: WatchSource | undefined): RunSnapshot {
	if (controller) {
		const activity = controller.activity();
		return activity === undefined ? {state: controller.state()} : {state: controller.state(), activity};
	}
	if (watch) return watch.current();
	throw new Error('runbook bug: the TUI needs a controller or a watch source');
}

export function useRunSnapshot(controller: Controller | undefined, watch: WatchSource | undefined, throttleMs = 80): {readonly snapshot: RunSnapshot; readonly refresh: () => void} {
	const [snapshot, setSnapshot] = useState(() => read(controller, watch));
	const timer = useRef<NodeJS.Timeout | undefined>(undefined);
	const refresh = useCallback(() => {
		if (timer.current) clearTimeout(timer.current);
		timer.current = undefined;
		setSnapshot(read(controller, watch));
	}, [controller, watch]);
	useEffect(() => {
		const schedule = () => {
			timer.current ??= setTimeout(() => {
				timer.current = undefined;
				setSnapshot(read(controller, watch));
			}, throttleMs);
		};
		const unsubscribe = controller
			? [controller.subscribe(schedule), controller.subscribeActivity(schedule)]
			: watch
				? [watch.subscribe(schedule)]
				: [];
		// Anything that happened between the first render and the subscription.
		schedule();
		return () => {
			for (const off of unsubscribe) off();
			if (timer.current) clearTimeout(timer.current);
			timer.current = undefined;
		};
	}, [controller, watch, throttleMs]);
	return {snapshot, refresh};
}
