/**
 * Expectations of query items: the plan's "Expected:" lines as data, each
 * evaluated against real rows into a PASS/FAIL with expected and actual text.
 */
import type {Expectation} from '../plan/schema.js';

export type Verdict = {readonly ok: boolean; readonly expected: string; readonly actual: string};

type Row = Record<string, unknown>;

function firstColumn(rows: readonly Row[], column: string | undefined): {name: string; value: unknown} {
	const row = rows[0];
	if (!row) return {name: column ?? '(first column)', value: undefined};
	const name = column ?? Object.keys(row)[0] ?? '';
	return {name, value: row[name]};
}

function show(value: unknown): string {
	if (value === undefined) return '(no row)';
	if (value === null) return 'NULL';
	if (value === true) return 't';
	if (value === false) return 'f';
	if (value instanceof Date) return value.toISOString();
	return String(value);
}

function asNumber(value: unknown): number {
	if (typeof value === 'number') return value;
	if (typeof value === 'string' || typeof value === 'bigint') return Number(value);
	return Number.NaN;
}

function truthy(value: unknown): boolean {
	return value === true || value === 't' || value === 'true';
}

/** " (plan: 24+)" when the plan states its own figure for this check. */
function planNote(expectation: Expectation): string {
	return 'plan' in expectation && expectation.plan ? ` (plan: ${expectation.plan})` : '';
}

export function evaluate(expectation: Expectation, rows: readonly Row[]): Verdict {
	const verdict = measure(expectation, rows);
	const note = planNote(expectation);
	return note ? {...verdict, actual: `${verdict.actual}${note}`} : verdict;
}

function measure(expectation: Expectation, rows: readonly Row[]): Verdict {
	switch (expectation.op) {
		case 'equals': {
			const {name, value} = firstColumn(rows, expectation.column);
			const expectedText = show(expectation.value);
			return {ok: show(value) === expectedText, expected: `${name} = ${expectedText}`, actual: `${name} = ${show(value)}`};
		}
		case 'atLeast': {
			const {name, value} = firstColumn(rows, expectation.column);
			return {ok: asNumber(value) >= expectation.value, expected: `${name} >= ${expectation.value}`, actual: `${name} = ${show(value)}`};
		}
		case 'atMost': {
			const {name, value} = firstColumn(rows, expectation.column);
			return {ok: asNumber(value) <= expectation.value, expected: `${name} <= ${expectation.value}`, actual: `${name} = ${show(value)}`};
		}
		case 'rowCount':
			return {ok: rows.length === expectation.value, expected: `${expectation.value} row(s)`, actual: `${rows.length} row(s)`};
		case 'minRows':
			return {ok: rows.length >= expectation.value, expected: `at least ${expectation.value} row(s)`, actual: `${rows.length} row(s)`};
		case 'everyRowTrue': {
			const bad = rows.filter((row) => expectation.columns.some((c) => !truthy(row[c])));
			const label = (row: Row) => show(row['name'] ?? row['table_name'] ?? row['tablename'] ?? row['test_name'] ?? Object.values(row)[0]);
			return {
				ok: rows.length > 0 && bad.length === 0,
				expected: `every row has ${expectation.columns.join(', ')} = t`,
				actual:
					rows.length === 0
						? 'no rows'
						: bad.length === 0
							? `all ${rows.length} row(s) true`
							: `${bad.length} of ${rows.length} row(s) not true: ${bad.slice(0, 6).map(label).join(', ')}${bad.length > 6 ? ', …' : ''}`,
			};
		}
		case 'matches': {
			const {name, value} = firstColumn(rows, expectation.column);
			const ok = new RegExp(expectation.pattern).test(show(value));
			return {ok, expected: `${name} matches /${expectation.pattern}/`, actual: `${name} = ${show(value).slice(0, 120)}`};
		}
		case 'columnsEqual': {
			const [a, b] = expectation.columns;
			const row = rows[0];
			const left = show(row?.[a]);
			const right = show(row?.[b]);
			return {ok: row !== undefined && left === right, expected: `${a} = ${b}`, actual: `${a} = ${left}, ${b} = ${right}`};
		}
		case 'sameSet':
		case 'includes': {
			const actual = new Set(rows.map((row) => show(row[expectation.column])));
			const expected = new Set(expectation.values);
			const missing = [...expected].filter((v) => !actual.has(v));
			const extra = [...actual].filter((v) => !expected.has(v));
			const ok = missing.length === 0 && (expectation.op === 'includes' || extra.length === 0);
			const parts = [`${actual.size} value(s)`];
			if (missing.length > 0) parts.push(`missing: ${missing.join(', ')}`);
			if (extra.length > 0) parts.push(`${expectation.op === 'sameSet' ? 'unexpected' : 'also present (not required)'}: ${extra.join(', ')}`);
			return {
				ok,
				expected: `${expectation.op === 'sameSet' ? 'exactly' : 'at least'} ${expected.size} ${expectation.column}: ${[...expected].join(', ')}`,
				actual: parts.join('; '),
			};
		}
	}
}

export function evaluateAll(expectations: readonly Expectation[], rows: readonly Row[]): {ok: boolean; expected: string; actual: string} {
	const verdicts = expectations.map((e) => evaluate(e, rows));
	return {
		ok: verdicts.every((v) => v.ok),
		expected: verdicts.map((v) => v.expected).join('; '),
		actual: verdicts.map((v) => `${v.ok ? 'PASS' : 'FAIL'} ${v.actual}`).join('; '),
	};
}
