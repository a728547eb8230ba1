/**
 * A binary min-heap of small integer ids with updatable keys (ties broken by the lower id,
 * so the order is deterministic). The scheduler keeps one per site and runtime, keyed by
 * host utilisation, to find the least loaded host without scanning every host of the site.
 */
export class IndexedMinHeap {
  private readonly heap: number[] = [];
  /** Position of each id in `heap`, -1 when absent. */
  private readonly pos: Int32Array;
  private readonly key: Float64Array;

  /** Ids must be whole numbers below `capacity`. */
  constructor(capacity: number) {
    this.pos = new Int32Array(capacity).fill(-1);
    this.key = new Float64Array(capacity);
  }

  get size(): number {
    return this.heap.length;
  }

  has(id: number): boolean {
    return this.pos[id]! >= 0;
  }

  /** Inserts `id`, or changes its key when present. */
  set(id: number, key: number): void {
    const at = this.pos[id]!;
    this.key[id] = key;
    if (at < 0) {
      this.heap.push(id);
      this.pos[id] = this.heap.length - 1;
      this.up(this.heap.length - 1);
    } else {
      this.up(at);
      this.down(this.pos[id]!);
    }
  }

  /** The id with the smallest key, without removing it. */
  peek(): number | undefined {
    return this.heap[0];
  }

  /** The key `id` was last set with. */
  keyOf(id: number): number {
    return this.key[id]!;
  }

  pop(): number | undefined {
    const top = this.heap[0];
    if (top === undefined) return undefined;
    const last = this.heap.pop()!;
    this.pos[top] = -1;
    if (this.heap.length > 0) {
      this.heap[0] = last;
      this.pos[last] = 0;
      this.down(0);
    }
    return top;
  }

  private less(a: number, b: number): boolean {
    const ka = this.key[a]!;
    const kb = this.key[b]!;
    return ka < kb || (ka === kb && a < b);
  }

  private swap(i: number, j: number): void {
    const a = this.heap[i]!;
    const b = this.heap[j]!;
    this.heap[i] = b;
    this.heap[j] = a;
    this.pos[b] = i;
    this.pos[a] = j;
  }

  private up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(this.heap[i]!, this.heap[parent]!)) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private down(i: number): void {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < this.heap.length && this.less(this.heap[l]!, this.heap[m]!)) m = l;
      if (r < this.heap.length && this.less(this.heap[r]!, this.heap[m]!)) m = r;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }
}
