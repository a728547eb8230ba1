/** The reference fleet (examples/frachtwerk) as validated data: fleet, IPAM with its lock file, placements. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateFleet } from '../../src/core/fleet/validate.js';
import { parseRecord } from '../../src/core/ipam/record.js';
import { schedule } from '../../src/core/placement/schedule.js';
import { EXAMPLES, ROOT, yamlFiles } from './paths.js';

export function loadReference() {
  const dir = join(EXAMPLES, 'frachtwerk');
  const lock = parseRecord(readFileSync(join(dir, 'ipam.lock'), 'utf8'));
  const res = validateFleet(yamlFiles(dir).sort().map((f) => ({ name: f.slice(ROOT.length + 1), text: readFileSync(f, 'utf8') })), lock.ok ? { allocations: lock.record } : {});
  if (!res.fleet || !res.ipam) throw new Error(`the reference fleet does not validate: ${res.problems[0]?.message}`);
  return { fleet: res.fleet, ipam: res.ipam, placements: schedule(res.fleet).placements };
}
