/**
 * The allocation record: every segment prefix and host address IPAM handed out, keyed by
 * name. Like a lock file it is kept with the fleet, so that later runs keep what was given
 * out even when hosts, apps or sites are added, removed or reordered.
 */
import { Document, isMap, parse } from 'yaml';
import { naturalCompare } from '../util/natural-sort.js';
import { z } from 'zod';

const Cidr = z.string().regex(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/, 'must be an IPv4 prefix like "198.18.0.0/25"');
const Addr = z.string().regex(/^\d{1,3}(\.\d{1,3}){3}$/, 'must be an IPv4 address');

export const AllocationRecordSchema = z.strictObject({
  version: z.literal(1),
  segments: z.record(z.string(), z.record(z.string(), Cidr)).default({}),
  hosts: z.record(z.string(), z.strictObject({ site: z.string(), segment: z.string(), address: Addr })).default({}),
});

export type AllocationRecord = z.output<typeof AllocationRecordSchema>;

export function emptyRecord(): AllocationRecord {
  return { version: 1, segments: {}, hosts: {} };
}

const HEADER =
  '# hafen IPAM allocations, written by `hafen ipam`. Keep this file with the fleet, like a lock\n' +
  '# file: addresses listed here are never renumbered. Edit it only to free an address on purpose.\n';

/** Text of a record with sorted keys (one line per host), so diffs show only real changes. */
export function serializeRecord(record: AllocationRecord): string {
  const sorted = <T>(o: Record<string, T>): Record<string, T> =>
    Object.fromEntries(Object.entries(o).sort(([a], [b]) => naturalCompare(a, b)));
  const body = {
    version: 1,
    segments: sorted(Object.fromEntries(Object.entries(record.segments).map(([site, segs]) => [site, sorted(segs)]))),
    hosts: sorted(record.hosts),
  };
  const doc = new Document(body);
  const hosts = doc.get('hosts', true);
  if (isMap(hosts)) for (const pair of hosts.items) if (isMap(pair.value)) pair.value.flow = true;
  return HEADER + doc.toString({ lineWidth: 0 });
}

export type RecordParse = { ok: true; record: AllocationRecord } | { ok: false; problems: string[] };

/** Parses record text; every problem is named with its path. */
export function parseRecord(text: string): RecordParse {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (err) {
    return { ok: false, problems: [`not valid YAML: ${(err as Error).message.split('\n')[0]}`] };
  }
  const res = AllocationRecordSchema.safeParse(raw ?? {});
  if (!res.success) {
    return { ok: false, problems: res.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`) };
  }
  return { ok: true, record: res.data };
}
