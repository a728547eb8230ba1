/**
 * A resource used by one thing at a time (pure): busy spans in milliseconds, sorted and
 * disjoint. The wave planner keeps one per target site (its copy lane).
 */
export class Timeline {
  private readonly spans: [number, number][] = [];

  /** The earliest start at or after `at` of a free stretch `length` long. */
  earliest(at: number, length: number): number {
    let start = at;
    for (const [s, e] of this.spans) {
      if (e <= start) continue;
      if (s >= start + length) break;
      start = e;
    }
    return start;
  }

  /** Marks [start, end) busy; throws when it overlaps a busy span (a planner bug, not a user error). */
  add(start: number, end: number): void {
    if (end <= start) return;
    const i = this.spans.findIndex(([s]) => s >= start);
    const at = i === -1 ? this.spans.length : i;
    const before = this.spans[at - 1];
    const after = this.spans[at];
    if ((before && before[1] > start) || (after && after[0] < end)) throw new Error(`timeline: [${start}, ${end}) overlaps a busy span`);
    this.spans.splice(at, 0, [start, end]);
  }

  busy(): readonly (readonly [number, number])[] {
    return this.spans;
  }
}
