/** What a pane renders: the run state and the latest database activity. */
import type {DbActivity} from '../engine/controller.js';
import type {RunState} from '../engine/types.js';

export type RunSnapshot = {readonly state: RunState; readonly activity?: DbActivity};
