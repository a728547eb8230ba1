/** Rendering a revision (fleet, placements, IPAM, secret versions) into each host's desired state. */
import type { Fleet } from '../fleet/model.js';
import type { IpamResult } from '../ipam/allocate.js';
import { formatAddress } from '../ipam/ipv4.js';
import type { Placement } from '../placement/types.js';
import { backupJobs } from './backups.js';
import { desiredState, type HostDesiredState } from './desired.js';
import { hostFirewall, nftScript } from './nftables.js';
import { contentHash } from '../util/canonical.js';

/**
 * Each host's desired state with its backup jobs (apps whose repository cannot be resolved get
 * none) and its firewall (hosts IPAM addressed; a host without units gets a state of its own).
 */
export function render(fleet: Fleet, placements: readonly Placement[], revision: number, versions: ReadonlyMap<string, number>, ipam: IpamResult | undefined): Map<string, HostDesiredState> {
  const desired = desiredState(fleet, placements, revision, versions);
  for (const [host, list] of backupJobs(fleet, placements, addressesOf(ipam), versions).jobs) {
    const state = desired.get(host);
    if (state) state.backups = list;
  }
  for (const h of fleet.hosts) {
    const fw = ipam && hostFirewall(fleet, ipam, placements, h.id);
    if (!fw) continue;
    const script = nftScript(fw);
    const state = desired.get(h.id) ?? { host: h.id, site: h.site, revision, units: [] };
    state.firewall = { script, hash: contentHash(script), confirmMs: fw.confirmMs };
    desired.set(h.id, state);
  }
  return desired;
}

/** Each host's IPAM address. */
export function addressesOf(ipam: IpamResult | undefined): Map<string, string> {
  return new Map((ipam?.hosts ?? []).map((h) => [h.host, formatAddress(h.address)]));
}

