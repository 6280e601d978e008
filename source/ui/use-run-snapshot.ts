/**
 * Subscribes to the controller (or a watch source) and paces the frames that
 * output causes: an engine update is shown at once when the screen has been
 * quiet, else when the FramePacer allows (at least `throttleMs` after the
 * last frame of any kind, at most `maxFps` frames in a second), however fast
 * events arrive, so a child printing megabytes per second cannot starve the
 * keys. The state itself is read when the frame is due, never queued, so
 * memory does not grow. This is the only limit on output frames: Ink draws
 * every commit at once (render.ts), so a key's frame never waits for it.
 * `refresh()` shows the latest state now (a key's frame carries it, and the
 * pending output frame is dropped); `drawn()` records a frame for the pacer.
 * A new snapshot renders in React's sync lane (useSyncExternalStore).
 */
import {useEffect, useMemo, useSyncExternalStore} from 'react';
import type {Controller} from '../engine/controller.js';
import type {RunSnapshot} from './run-snapshot.js';
import type {WatchSource} from './watch-source.js';
import {FramePacer} from './frame-pacer.js';

function read(controller: Controller | undefined, watch: WatchSource | undefined): RunSnapshot {
	if (controller) {
		const activity = controller.activity();
		return activity === undefined ? {state: controller.state()} : {state: controller.state(), activity};
	}
	if (watch) return watch.current();
	throw new Error('runbook bug: the TUI needs a controller or a watch source');
}

class SnapshotFeed {
	private published: RunSnapshot;
	private timer: NodeJS.Timeout | undefined;
	private readonly listeners = new Set<() => void>();
	private readonly pacer: FramePacer;

	constructor(
		private readonly controller: Controller | undefined,
		private readonly watch: WatchSource | undefined,
		throttleMs: number,
		maxFps: number,
	) {
		this.published = read(controller, watch);
		this.pacer = new FramePacer(throttleMs, maxFps);
	}

	readonly current = (): RunSnapshot => this.published;

	readonly subscribe = (listener: () => void): (() => void) => {
		this.listeners.add(listener);
		return () => void this.listeners.delete(listener);
	};

	/** Shows the latest state now, and drops the pending output frame. */
	readonly refresh = (): void => {
		if (this.timer) clearTimeout(this.timer);
		this.timer = undefined;
		const next = read(this.controller, this.watch);
		if (next.state === this.published.state && next.activity === this.published.activity) return;
		this.published = next;
		for (const listener of this.listeners) listener();
	};

	readonly drawn = (): void => this.pacer.drawn(Date.now());

	/** Subscribes to the engine; returns the unsubscribe. */
	start(): () => void {
		const schedule = () => {
			this.timer ??= setTimeout(() => {
				this.timer = undefined;
				this.refresh();
			}, this.pacer.delay(Date.now()));
		};
		const {controller, watch} = this;
		const unsubscribe = controller
			? [controller.subscribe(schedule), controller.subscribeActivity(schedule)]
			: watch
				? [watch.subscribe(schedule)]
				: [];
		// Anything that happened between the first render and the subscription.
		schedule();
		return () => {
			for (const off of unsubscribe) off();
			if (this.timer) clearTimeout(this.timer);
			this.timer = undefined;
		};
	}
}

export type RunSnapshotFeed = {
	readonly snapshot: RunSnapshot;
	readonly refresh: () => void;
	readonly drawn: () => void;
};

export function useRunSnapshot(controller: Controller | undefined, watch: WatchSource | undefined, throttleMs = 80, maxFps = 15): RunSnapshotFeed {
	const feed = useMemo(() => new SnapshotFeed(controller, watch, throttleMs, maxFps), [controller, watch, throttleMs, maxFps]);
	useEffect(() => feed.start(), [feed]);
	const snapshot = useSyncExternalStore(feed.subscribe, feed.current);
	return {snapshot, refresh: feed.refresh, drawn: feed.drawn};
}
