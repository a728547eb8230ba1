/**
 * What a new revision changes, per host: units added, changed (new hash) and removed, and
 * replicas that moved between hosts. Computed from two desired states, so it shows exactly
 * what agents will do; each host's firewall lines too (agents started with --firewall apply them).
 */
import type { HostDesiredState } from '../render/desired.js';
import { naturalCompare } from '../util/natural-sort.js';
import { policyLines } from './blueprint.js';

export interface HostChange {
  host: string;
  site: string;
  added: string[];
  changed: string[];
  removed: string[];
  /** Lines of the host's ruleset that appear and go (a line in a set says which: "set seg_mgmt_all: …"). */
  firewall: { added: string[]; removed: string[] };
}

export interface RevisionDiff {
  hosts: HostChange[];
  /** Units that left one host for another. */
  moved: { unit: string; from: string; to: string }[];
  /** True when nothing changes anywhere. */
  empty: boolean;
}

export function revisionDiff(before: ReadonlyMap<string, HostDesiredState>, after: ReadonlyMap<string, HostDesiredState>): RevisionDiff {
  const hosts: HostChange[] = [];
  const where = (m: ReadonlyMap<string, HostDesiredState>) => {
    const out = new Map<string, { host: string; hash: string }>();
    for (const h of m.values()) for (const u of h.units) out.set(u.name, { host: h.host, hash: u.hash });
    return out;
  };
  const was = where(before);
  const now = where(after);
  const names = [...new Set([...before.keys(), ...after.keys()])].sort(naturalCompare);
  for (const host of names) {
    const b = new Map((before.get(host)?.units ?? []).map((u) => [u.name, u.hash]));
    const a = new Map((after.get(host)?.units ?? []).map((u) => [u.name, u.hash]));
    const fwBefore = policyLines(before.get(host)?.firewall?.script ?? '');
    const fwAfter = policyLines(after.get(host)?.firewall?.script ?? '');
    const had = new Set(fwBefore);
    const has = new Set(fwAfter);
    const firewall = { added: fwAfter.filter((l) => !had.has(l)), removed: fwBefore.filter((l) => !has.has(l)) };
    const site = after.get(host)?.site ?? before.get(host)?.site ?? '';
    const change: HostChange = { host, site, added: [], changed: [], removed: [], firewall };
    for (const [name, hash] of a) {
      if (!b.has(name)) change.added.push(name);
      else if (b.get(name) !== hash) change.changed.push(name);
    }
    for (const name of b.keys()) if (!a.has(name)) change.removed.push(name);
    if (change.added.length + change.changed.length + change.removed.length + firewall.added.length + firewall.removed.length > 0) hosts.push(change);
  }
  const moved = [...now]
    .filter(([name, n]) => was.has(name) && was.get(name)!.host !== n.host)
    .map(([unit, n]) => ({ unit, from: was.get(unit)!.host, to: n.host }))
    .sort((x, y) => naturalCompare(x.unit, y.unit));
  return { hosts, moved, empty: hosts.length === 0 };
}
