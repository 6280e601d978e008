import {readFileSync, readdirSync} from 'node:fs';

/** A task's nice value (Linux): field 19 of its stat, counted after the parenthesised name, which may hold spaces. */
export function niceOfStat(stat: string): number {
	return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}

/** The nice value of a process (its main thread). */
export const niceOf = (pid: number | 'self'): number => niceOfStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));

/** The nice value of each thread of this process. */
export const niceOfThreads = (): number[] => readdirSync('/proc/self/task').map((tid) => niceOfStat(readFileSync(`/proc/self/task/${tid}/stat`, 'utf8')));
