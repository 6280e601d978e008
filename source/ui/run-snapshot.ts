/** What a pane renders: the run state and the latest database activity. */
import type {DbActivity} from '../db/activity.js';
import type {RunState} from '../state/types.js';

export type RunSnapshot = {readonly state: RunState; readonly activity?: DbActivity};
