/** The plan's "> 100KB" backup floor, judged against the database's own data size. */
import {describe, expect, it} from 'vitest';
import {sizeCheck} from '../../source/backup/verify.js';

describe('sizeCheck', () => {
	it('passes a dump below the floor when the database holds less data than the floor, showing both figures', () => {
		expect(sizeCheck(98_877, 102_400, 24_576)).toEqual({
			name: 'size',
			ok: true,
			detail: "96.6 KiB (98877 bytes), below the plan's 100 KiB floor, but the database's own data is only 24.0 KiB (24576 bytes), less than the floor itself: judged against the data, not the plan's fixed figure; the test restore proves the dump complete",
		});
	});

	it('fails a dump below the floor when the database holds more data than that', () => {
		expect(sizeCheck(98_877, 102_400, 5_000_000)).toMatchObject({ok: false, detail: expect.stringContaining('although the database holds')});
	});

	it('fails an empty dump whatever the data size', () => {
		expect(sizeCheck(0, 102_400, 0).ok).toBe(false);
	});
});
