/**
 * React (and so Ink) picks its production or development build from NODE_ENV
 * when it is first loaded. The CLI runs the production build unless the
 * caller chose otherwise: imported first by cli.ts, before anything that
 * loads React. Tests that render with ink-testing-library import the app
 * directly and keep whatever NODE_ENV vitest sets.
 */
if (process.env['NODE_ENV'] === undefined) process.env['NODE_ENV'] = 'production';

export {};
