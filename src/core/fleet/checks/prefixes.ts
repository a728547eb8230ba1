/** Site prefixes: well-formed, no host bits, and no overlap anywhere in the fleet. */
import { formatPrefix, overlaps, parsePrefix, type Prefix } from '../../ipam/ipv4.js';
import type { ProblemList } from '../problems.js';
import { each, type Parts } from './parts.js';

/** Checks every prefix; returns the parsed prefixes of each site that had no bad prefix. */
export function checkPrefixes(parts: Parts, out: ProblemList): Map<string, Prefix[]> {
  const good = new Map<string, Prefix[]>();
  const all: { prefix: Prefix; site: number; index: number }[] = [];
  each(parts.sites, (s, i) => {
    const mine: Prefix[] = [];
    let broken = false;
    s.prefixes.forEach((text, j) => {
      const res = parsePrefix(text);
      if (!res.ok) {
        broken = true;
        out.error('HAFEN_FLEET_PREFIX_INVALID', ['sites', i, 'prefixes', j], `"${text}" ${res.reason}`);
        return;
      }
      mine.push(res.prefix);
      all.push({ prefix: res.prefix, site: i, index: j });
    });
    if (!broken) good.set(s.id, mine);
  });
  // Sort by start address; an overlap is then always with an earlier prefix still open.
  all.sort((a, b) => a.prefix.base - b.prefix.base || a.prefix.length - b.prefix.length);
  for (let k = 0; k < all.length; k++) {
    for (let m = k + 1; m < all.length && all[m]!.prefix.base <= all[k]!.prefix.base + 2 ** (32 - all[k]!.prefix.length) - 1; m++) {
      const a = all[k]!;
      const b = all[m]!;
      if (!overlaps(a.prefix, b.prefix)) continue;
      // Report on the one written later in the fleet, naming the earlier one.
      const [first, second] = a.site < b.site || (a.site === b.site && a.index < b.index) ? [a, b] : [b, a];
      out.error(
        'HAFEN_FLEET_PREFIX_OVERLAP',
        ['sites', second.site, 'prefixes', second.index],
        `${formatPrefix(second.prefix)} overlaps ${formatPrefix(first.prefix)} at ${out.describe(['sites', first.site, 'prefixes', first.index])}`,
      );
      good.delete(parts.sites[second.site]!.id);
    }
  }
  return good;
}
