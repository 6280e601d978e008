/**
 * Reads one `EXPLAIN (ANALYZE, BUFFERS, VERBOSE, FORMAT JSON)` document and
 * keeps only what a baseline needs: timings, rows, buffer counts, the shape of
 * the top of the plan and how each relation was scanned.
 *
 * Conditions, filters and output lists are never kept: with a custom plan they
 * contain the bound parameter values (a session token, for one).
 */

export type PlanNode = {
	readonly depth: number;
	readonly nodeType: string;
	/** schema.relation when the node reads a relation. */
	readonly relation?: string;
	readonly index?: string;
	/** As EXPLAIN's text format names it: "Index Scan Backward using idx on platform.audit_logs". */
	readonly label: string;
};

export type RelationScan = {
	readonly relation: string;
	/** Seq Scan, Index Scan, Index Only Scan, Bitmap Heap Scan, Tid Scan, … */
	readonly scan: string;
	/** The index used (for a Bitmap Heap Scan, the Bitmap Index Scans below it). */
	readonly indexes: readonly string[];
};

export type ExplainSummary = {
	readonly executionMs: number;
	readonly planningMs: number;
	readonly rows: number;
	readonly sharedHit: number;
	readonly sharedRead: number;
	/** Pre-order, down to `maxDepth` levels. */
	readonly nodes: readonly PlanNode[];
	/** One line: "Limit → Index Scan Backward using idx on platform.audit_logs". */
	readonly shape: string;
	readonly scans: readonly RelationScan[];
};

type RawNode = {
	'Node Type'?: unknown;
	'Relation Name'?: unknown;
	Schema?: unknown;
	'Index Name'?: unknown;
	'Scan Direction'?: unknown;
	'Actual Rows'?: unknown;
	'Actual Loops'?: unknown;
	'Shared Hit Blocks'?: unknown;
	'Shared Read Blocks'?: unknown;
	Plans?: unknown;
};

type RawExplain = {Plan?: RawNode; 'Planning Time'?: unknown; 'Execution Time'?: unknown};

const INDEX_SCANS = new Set(['Index Scan', 'Index Only Scan', 'Bitmap Heap Scan']);

/** Whether a scan type reads through an index (Index, Index Only, Bitmap Heap). */
export function isIndexScan(scan: string): boolean {
	return INDEX_SCANS.has(scan);
}

function num(value: unknown): number {
	return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

function str(value: unknown): string | undefined {
	return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function children(node: RawNode): RawNode[] {
	return Array.isArray(node.Plans) ? (node.Plans as RawNode[]) : [];
}

function relationOf(node: RawNode): string | undefined {
	const name = str(node['Relation Name']);
	if (name === undefined) return undefined;
	const schema = str(node.Schema);
	return schema === undefined ? name : `${schema}.${name}`;
}

function labelOf(node: RawNode): string {
	const type = str(node['Node Type']) ?? '?';
	const backward = node['Scan Direction'] === 'Backward' && type.startsWith('Index') ? ' Backward' : '';
	const index = str(node['Index Name']);
	const relation = relationOf(node);
	return `${type}${backward}${index === undefined ? '' : ` using ${index}`}${relation === undefined ? '' : ` on ${relation}`}`;
}

function shapeOf(node: RawNode, depthLeft: number): string {
	const label = labelOf(node);
	const kids = children(node);
	if (kids.length === 0 || depthLeft <= 1) return label;
	const parts = kids.map((kid) => shapeOf(kid, depthLeft - 1));
	return kids.length === 1 ? `${label} → ${parts[0]!}` : `${label} → (${parts.join('; ')})`;
}

function bitmapIndexes(node: RawNode): string[] {
	const out: string[] = [];
	for (const kid of children(node)) {
		const index = str(kid['Index Name']);
		if (index !== undefined) out.push(index);
		out.push(...bitmapIndexes(kid));
	}
	return out;
}

/** Accepts the `QUERY PLAN` value of EXPLAIN FORMAT JSON (an array with one document) or the document itself. */
export function summariseExplain(raw: unknown, maxDepth = 4): ExplainSummary {
	const doc = (Array.isArray(raw) ? raw[0] : raw) as RawExplain | undefined;
	const top = doc?.Plan;
	if (top === undefined || typeof top !== 'object') throw new Error('EXPLAIN returned no plan (expected FORMAT JSON output)');
	const nodes: PlanNode[] = [];
	const scans: RelationScan[] = [];
	const walk = (node: RawNode, depth: number) => {
		const relation = relationOf(node);
		const index = str(node['Index Name']);
		const nodeType = str(node['Node Type']) ?? '?';
		if (depth < maxDepth) {
			nodes.push({
				depth,
				nodeType,
				...(relation === undefined ? {} : {relation}),
				...(index === undefined ? {} : {index}),
				label: labelOf(node),
			});
		}
		if (relation !== undefined) {
			const indexes = nodeType === 'Bitmap Heap Scan' ? bitmapIndexes(node) : index === undefined ? [] : [index];
			scans.push({relation, scan: nodeType, indexes});
		}
		for (const kid of children(node)) walk(kid, depth + 1);
	};
	walk(top, 0);
	return {
		executionMs: num(doc?.['Execution Time']),
		planningMs: num(doc?.['Planning Time']),
		rows: num(top['Actual Rows']) * Math.max(1, num(top['Actual Loops'])),
		sharedHit: num(top['Shared Hit Blocks']),
		sharedRead: num(top['Shared Read Blocks']),
		nodes,
		shape: shapeOf(top, maxDepth),
		scans,
	};
}
