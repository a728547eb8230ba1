/** Reading a fleet for the site commands: validated, with its addresses and placements. */
import { schedule } from '../core/placement/schedule.js';
import type { CliIo } from './io.js';
import { loadFleet } from './load.js';
import { countLine, problemsText } from './problems-output.js';

/** The fleet, its addresses and placements (as hafen plan places replicas on an empty fleet); undefined (problems printed) when invalid. */
export async function loadBlueprint(fleetPath: string, allocations: string | undefined, io: CliIo) {
  const { result } = await loadFleet(fleetPath, allocations);
  if (!result.ok || !result.fleet || !result.ipam) {
    io.stderr(`${problemsText(result.problems)}${fleetPath}: ${countLine(result.problems)}\n`);
    return undefined;
  }
  return { fleet: result.fleet, ipam: result.ipam, placements: schedule(result.fleet).placements };
}
