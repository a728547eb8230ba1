/**
 * What each process pulls from the controller, computed from the newest revision and what
 * changes it while it runs: an agent its host's desired state, the edge proxies the route
 * table, a site's probers their probes. Pure: the controller gathers the inputs (the revision's
 * snapshot, holds and self-healing, the overlays of moves under way, lost sites, backup orders,
 * hosts' and proxies' reports) and long-polls on their changes.
 *
 *   fleet → revision (snapshot) ─┬─ hostPull ──── agents
 *          + overlays, reports   ├─ routesPull ── proxies
 *                                └─ probesPull ── probers
 */
import type { Fleet } from '../fleet/model.js';
import type { MoveOverlay } from '../move/run.js';
import { overlayRoutes, overlayUnits } from '../move/overlay.js';
import { deriveChecks, probesHash, resolveProbes, type Check, type Probe, type ProxyEndpoint } from '../monitor/checks.js';
import type { Placement } from '../placement/types.js';
import type { AgentReport } from '../report/host-report.js';
import { hostStateHash, type DesiredUnit, type HostDesiredState } from '../render/desired.js';
import { routeTable, routeTableHash, type RouteTable } from '../render/routes.js';
import { endpoint, type ProxyView } from './proxy-views.js';
import { dataOf as dataNames } from '../fleet/model.js';
import { overlayRoles, withRole } from '../standby/overlay.js';
import { writerBackupJobs } from '../standby/backups.js';
import { writes, type AppRole } from '../standby/roles.js';

/** The part of a revision every pull reads. */
export interface RevisionView {
  revision: number;
  fleet: Fleet;
  placements: readonly Placement[];
  /** Each host's desired state as the revision rendered it. */
  desired: ReadonlyMap<string, HostDesiredState>;
  /** Each host's IPAM address. */
  addresses: ReadonlyMap<string, string>;
}

/** A host's last report, as far as the pulls need it. */
export interface ReportedHost {
  host: string;
  status: { agent?: Pick<AgentReport, 'address'> };
}

/** Where each host's units are reachable: the address its agent reports, else its IPAM address. */
export function reachableAddresses(rev: Pick<RevisionView, 'addresses'>, reports: readonly ReportedHost[]): Map<string, string> {
  const addresses = new Map(rev.addresses);
  for (const r of reports) {
    const reported = r.status.agent?.address;
    if (reported) addresses.set(r.host, reported);
  }
  return addresses;
}

export interface HostPullInput {
  /** The newest revision (undefined: none yet). */
  rev: RevisionView | undefined;
  /** The host's state before moves: its revision's (or the one it is held at), after self-healing. */
  base: { state: HostDesiredState; hash: string; heldAt?: number };
  /** Moves under way: a target replica added, a cut-over source stopped. */
  overlays: readonly MoveOverlay[];
  /** Orders beside the units: backup access and tasks, a cutover's copies and access (absent when undefined). */
  orders: Pick<HostDesiredState, 'backupAccess' | 'backupTasks' | 'moveCopies' | 'moveAccess'>;
  /** Standby apps' writers (core/standby/roles.ts): each of their units carries its term and role. */
  roles: ReadonlyMap<string, AppRole>;
}

export interface HostPull {
  state: HostDesiredState;
  hash: string;
  revision: number;
  heldAt?: number;
}

/** An agent's desired state: its base, the moves' overlays, and the orders for it. */
export function hostPull(i: HostPullInput): HostPull {
  const held = i.base.heldAt !== undefined ? { heldAt: i.base.heldAt } : {};
  const revision = i.rev?.revision ?? 0;
  const apps = new Map((i.rev?.fleet.apps ?? []).map((a) => [a.id, a]));
  const dataOf = (app: string) => (apps.has(app) ? dataNames(apps.get(app)!) : []);
  const unitsOf = (h: string): readonly DesiredUnit[] | undefined => {
    const units = i.rev?.desired.get(h)?.units;
    return units && units.map((u) => withRole(u, i.roles.get(u.app), dataOf(u.app)));
  };
  const roled = overlayRoles(i.base, i.roles, dataOf);
  // A standby app's backup job runs where its writer is (core/standby/backups.ts).
  const jobs = i.rev ? writerBackupJobs(roled.state.host, roled.state.backups, i.rev.desired, i.rev.placements, i.roles) : roled.state.backups;
  const base = jobs === roled.state.backups ? roled : withJobs(roled.state, jobs);
  const moved = overlayUnits(base.state, i.overlays, unitsOf);
  const { state, hash } = moved === base.state ? base : { state: moved, hash: hostStateHash(moved) };
  const extra = Object.fromEntries(Object.entries(i.orders).filter(([, v]) => v !== undefined));
  if (Object.keys(extra).length === 0) return { state, hash, revision, ...held };
  const full: HostDesiredState = { ...state, ...extra };
  return { state: full, hash: hostStateHash(full), revision, ...held };
}

/** A host's state with other backup jobs, and its hash. */
function withJobs(state: HostDesiredState, jobs: HostDesiredState['backups']): { state: HostDesiredState; hash: string } {
  const { backups: _old, ...rest } = state;
  const next: HostDesiredState = { ...rest, ...(jobs ? { backups: jobs } : {}) };
  return { state: next, hash: hostStateHash(next) };
}

export interface RoutesPullInput {
  rev: RevisionView | undefined;
  reports: readonly ReportedHost[];
  /** Sites the monitor declared lost: every proxy uses them last. */
  lostSites: readonly string[];
  overlays: readonly MoveOverlay[];
  roles: ReadonlyMap<string, AppRole>;
}

/** The edge proxies' route table: the revision's apps and replicas at the addresses their units are reachable at. */
export function routesPull(i: RoutesPullInput): { table: RouteTable; hash: string } {
  if (!i.rev) return { table: { revision: 0, routes: [] }, hash: routeTableHash({ routes: [] }) };
  const rev = i.rev;
  const reachable = reachableAddresses(rev, i.reports);
  const plain = routeTable(rev.fleet, rev.placements, rev.revision, reachable, i.lostSites, i.roles);
  const siteOf = (h: string) => rev.fleet.hosts.find((x) => x.id === h)?.site;
  const table = overlayRoutes(plain, i.overlays, siteOf, (h) => reachable.get(h));
  return { table, hash: routeTableHash(table) };
}

/** Every check of the revision, at the addresses units are reachable at; of a standby app's replicas only the active is probed (the others are stopped). */
export function checksOf(rev: RevisionView | undefined, reports: readonly ReportedHost[], roles: ReadonlyMap<string, AppRole>): Check[] {
  return rev ? deriveChecks(rev.fleet, rev.placements.filter((p) => writes(roles, p)), reachableAddresses(rev, reports)) : [];
}

export interface ProbesPullInput {
  rev: RevisionView | undefined;
  reports: readonly ReportedHost[];
  /** What each proxy last said about itself, by the host it runs on. */
  proxies: ReadonlyMap<string, ProxyView>;
  /** The probing site. */
  site: string;
  roles: ReadonlyMap<string, AppRole>;
}

/** What the probers of a site run: every check, those through the proxies sent to the proxies that report where they listen. */
export function probesPull(i: ProbesPullInput): { probes: Probe[]; hash: string } {
  const addresses = i.rev ? reachableAddresses(i.rev, i.reports) : new Map<string, string>();
  const checks = checksOf(i.rev, i.reports, i.roles);
  const proxies: ProxyEndpoint[] = [];
  for (const [host, v] of i.proxies) {
    const plain = v.listen ? endpoint(v.listen, addresses.get(host)) : undefined;
    const secure = v.tlsListen ? endpoint(v.tlsListen, addresses.get(host)) : undefined;
    if (plain) proxies.push({ site: v.site, address: plain.address, port: plain.port, ...(secure ? { tlsPort: secure.port } : {}) });
  }
  const probes = resolveProbes(checks, i.site, proxies);
  return { probes, hash: probesHash(probes) };
}
