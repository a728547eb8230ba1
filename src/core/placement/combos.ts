/**
 * Candidate site combinations for the replicas of one app: which sites the still-missing
 * replicas could go to, given the spread level. At "host" level several replicas may share a
 * site (on different hosts); at wider levels every replica needs its own domain value.
 */

/** Above this many combinations the scheduler places replica by replica instead. */
export const MAX_COMBOS = 4000;

/** Number of k-combinations of n items, with or without repetition, capped at `cap + 1`. */
export function comboCount(n: number, k: number, repeat: boolean, cap = MAX_COMBOS): number {
  const top = repeat ? n + k - 1 : n;
  if (k > top) return 0;
  let c = 1;
  for (let i = 1; i <= k; i++) {
    c = (c * (top - k + i)) / i;
    if (c > cap) return cap + 1;
  }
  return Math.round(c);
}

/**
 * Every combination of `k` sites for the missing replicas, in lexicographic order of site
 * positions. `domain(i)` is site i's value at the spread level; `taken` the values kept
 * replicas already occupy; `room(i)` how many replicas site i can hold at most (its hosts).
 */
export function siteCombos(
  n: number,
  k: number,
  repeat: boolean,
  domain: (i: number) => string,
  taken: ReadonlySet<string>,
  room: (i: number) => number,
): number[][] {
  const out: number[][] = [];
  const cur: number[] = [];
  const domains = Array.from({ length: n }, (_, i) => domain(i));
  const rooms = Array.from({ length: n }, (_, i) => room(i));
  const count = new Int32Array(n);
  // Without repetition every replica needs its own domain value (two sites may share one).
  const used = new Set<string>();
  const walk = (start: number) => {
    if (cur.length === k) {
      out.push(cur.slice());
      return;
    }
    for (let i = start; i < n; i++) {
      const d = domains[i]!;
      if (!repeat && (taken.has(d) || used.has(d))) continue;
      if (count[i]! >= rooms[i]!) continue;
      cur.push(i);
      count[i]!++;
      if (!repeat) used.add(d);
      walk(repeat ? i : i + 1);
      cur.pop();
      count[i]!--;
      if (!repeat) used.delete(d);
    }
  };
  walk(0);
  return out;
}
