/** The current time, ticking once a second (for the T-clock, elapsed and running durations); fixed when given. */
import {useEffect, useState} from 'react';

export function useNow(fixed?: () => number, intervalMs = 1000): number {
	const clock = fixed ?? Date.now;
	const [now, setNow] = useState(clock);
	useEffect(() => {
		if (fixed) return;
		const timer = setInterval(() => setNow(Date.now()), intervalMs);
		return () => clearInterval(timer);
	}, [fixed, intervalMs]);
	return fixed ? fixed() : now;
}
