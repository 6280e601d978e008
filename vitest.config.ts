import {defineConfig} from 'vitest/config';

export default defineConfig({
	test: {
		include: ['test/**/*.test.{ts,tsx}'],
		globalSetup: ['test/global-setup.ts'],
		testTimeout: 120_000,
		hookTimeout: 180_000,
		pool: 'forks',
		maxWorkers: 2,
		reporters: ['default'],
		env: {FORCE_COLOR: '0'},
	},
});
