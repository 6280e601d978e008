/** A ring buffer of the last `limit` items: output tails never grow with the output. */
export class BoundedLines<T> {
	private readonly items: T[] = [];
	private start = 0;
	private count = 0;
	/** How many items were pushed in all (including dropped ones). */
	total = 0;

	constructor(readonly limit: number) {
		if (limit < 1) throw new RangeError('limit must be at least 1');
	}

	push(item: T): void {
		this.total += 1;
		if (this.count < this.limit) {
			this.items.push(item);
			this.count += 1;
			return;
		}
		this.items[this.start] = item;
		this.start = (this.start + 1) % this.limit;
	}

	toArray(): T[] {
		if (this.count < this.limit) return [...this.items];
		return [...this.items.slice(this.start), ...this.items.slice(0, this.start)];
	}

	get size(): number {
		return this.count;
	}
}
