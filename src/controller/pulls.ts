/**
 * What agents, proxies and probers pull, and their long-polls: the controller's side of
 * core/pull/pull.ts. It gathers the inputs (the newest revision, holds and self-healing, the
 * moves' overlays and orders, backup orders, lost sites, hosts' and proxies' reports), lets the
 * pure functions compute the answer, and wakes the long-polls when an input changes.
 */
import type { MoveOverlay } from '../core/move/run.js';
import type { Check, Probe } from '../core/monitor/checks.js';
import { checksOf, hostPull, probesPull, routesPull, type HostPull } from '../core/pull/pull.js';
import type { ProxyView } from '../core/pull/proxy-views.js';
import type { MoveAccessGrant, MoveCopyOrder } from '../core/render/move-orders.js';
import type { BackupAccessKey, BackupTaskOrder } from '../core/render/backups.js';
import type { HostDesiredState } from '../core/render/desired.js';
import type { RouteTable } from '../core/render/routes.js';
import type { HostReport } from '../core/report/host-report.js';
import type { ChangeBus, ChangeName } from './change-bus.js';
import type { HostBase } from './holds.js';
import type { HostReports } from './host-reports.js';
import { longPoll } from './long-poll.js';
import type { Snapshot } from './snapshot.js';
import type { HostStatus } from './store/store.js';
import type { AppRole } from '../core/standby/roles.js';

export interface PullDeps {
  bus: ChangeBus;
  reports: HostReports;
  /** The newest revision, rendered. */
  current(): Promise<Snapshot | undefined>;
  /** A host's state at its revision or the one it is held at (holds.ts). */
  baseOf(host: string, cur: Snapshot | undefined): Promise<HostBase>;
  /** Self-healing's changes to a host's state (remediation.ts). */
  heal(state: HostDesiredState, hash: string): Promise<{ state: HostDesiredState; hash: string }>;
  /** Sites the monitor declared lost. */
  lostSites(): string[];
  /** Moves under way: their overlays, their orders for a host, and what a host's report means to them. */
  moves: {
    overlays(): Promise<MoveOverlay[]>;
    movesFor(host: string): Promise<{ copies: MoveCopyOrder[]; access: MoveAccessGrant[] }>;
    reported(before: HostReport | undefined, after: HostReport): void;
  };
  /** Standby apps: their writers (roles), and the copies and keys that keep their standbys close. */
  standbys: {
    roles(cur: Snapshot | undefined): Promise<Map<string, AppRole>>;
    ordersFor(host: string): Promise<{ copies: MoveCopyOrder[]; access: MoveAccessGrant[] }>;
  };
  /** Backup hosts' access and jobs' tasks for a host; a changed agent key. */
  backups: {
    accessFor(host: string): Promise<BackupAccessKey[] | undefined>;
    ordersFor(host: string): Promise<BackupTaskOrder[]>;
    keysChanged(): void;
  };
}

export class Pulls {
  /** What each proxy last said about itself and the replicas it sees, by proxy host. */
  private readonly proxies = new Map<string, ProxyView>();

  constructor(private readonly deps: PullDeps) {}

  /** The desired state of a host and its hash (an empty state when the host has no units). */
  async desiredFor(host: string): Promise<HostPull> {
    const { deps } = this;
    const rev = await deps.current();
    const base = await deps.baseOf(host, rev);
    const healed = await deps.heal(base.state, base.hash);
    // One after the other, as the parts expect (each may read state another loads first).
    const overlays = await deps.moves.overlays();
    const access = await deps.backups.accessFor(host);
    const tasks = await deps.backups.ordersFor(host);
    const moves = await deps.moves.movesFor(host);
    const standby = await deps.standbys.ordersFor(host);
    const copies = [...moves.copies, ...standby.copies];
    const grants = [...moves.access, ...standby.access];
    return hostPull({
      rev,
      base: { ...healed, ...(base.heldAt !== undefined ? { heldAt: base.heldAt } : {}) },
      overlays,
      roles: await deps.standbys.roles(rev),
      orders: {
        ...(access ? { backupAccess: access } : {}),
        ...(tasks.length ? { backupTasks: tasks } : {}),
        ...(copies.length ? { moveCopies: copies } : {}),
        ...(grants.length ? { moveAccess: grants } : {}),
      },
    });
  }

  /** Resolves when the host's desired state differs from `after`, or after `timeoutMs` with the current one. */
  waitForChange(host: string, after: string | undefined, timeoutMs: number): Promise<HostPull & { changed: boolean }> {
    return this.waitFor(() => this.desiredFor(host), after, timeoutMs, ['revision', 'backup']);
  }

  /** The edge proxies' route table (a new revision, a host reporting a new address, a lost site, a move change it). */
  async routes(): Promise<{ table: RouteTable; hash: string }> {
    const rev = await this.deps.current();
    return routesPull({ rev, reports: await this.deps.reports.all(), lostSites: this.deps.lostSites(), overlays: await this.deps.moves.overlays(), roles: await this.deps.standbys.roles(rev) });
  }

  waitForRoutes(after: string | undefined, timeoutMs: number): Promise<{ table: RouteTable; hash: string; changed: boolean }> {
    return this.waitFor(() => this.routes(), after, timeoutMs, ['revision', 'routes']);
  }

  /** Every check of the newest revision, at the addresses units are reachable at. */
  async checks(): Promise<Check[]> {
    const rev = await this.deps.current();
    return checksOf(rev, await this.deps.reports.all(), await this.deps.standbys.roles(rev));
  }

  /** What the probers of `site` run. */
  async probesFor(site: string): Promise<{ probes: Probe[]; hash: string }> {
    const rev = await this.deps.current();
    return probesPull({ rev, reports: await this.deps.reports.all(), proxies: this.proxies, site, roles: await this.deps.standbys.roles(rev) });
  }

  waitForProbes(site: string, after: string | undefined, timeoutMs: number): Promise<{ probes: Probe[]; hash: string; changed: boolean }> {
    return this.waitFor(() => this.probesFor(site), after, timeoutMs, ['revision', 'routes', 'proxies']);
  }

  /** The site of a host in the newest revision, if the host is in it. */
  async siteOf(host: string): Promise<string | undefined> {
    return (await this.deps.current())?.fleet.hosts.find((h) => h.id === host)?.site;
  }

  /** Records what a proxy reports about itself; a proxy that starts or moves wakes the probers. */
  recordProxyView(host: string, view: ProxyView): void {
    const before = this.proxies.get(host);
    this.proxies.set(host, view);
    if (before?.listen !== view.listen || before?.tlsListen !== view.tlsListen || before?.site !== view.site) this.deps.bus.emit('proxies');
  }

  /** What each proxy last said, by the host it runs on. */
  proxyViews(): ReadonlyMap<string, ProxyView> {
    return this.proxies;
  }

  /** Records an agent's report; a changed address changes the route table and copy orders, so proxies and agents are woken. */
  async recordReport(status: HostStatus): Promise<void> {
    const before = await this.deps.reports.get(status.host);
    this.deps.reports.record(status);
    // Copy orders name the source host's address too (a cutover's, a standby's): agents compute theirs again.
    if (before?.status.agent?.address !== status.status.agent?.address) {
      this.deps.bus.emit('routes');
      this.deps.bus.emit('revision');
    }
    // A new key changes what a backup host must let in, or (a cutover's copy key) a move's source host.
    if (before?.status.agent?.sshKey !== status.status.agent?.sshKey) this.deps.backups.keysChanged();
    this.deps.moves.reported(before?.status, status.status);
  }

  /** A long-poll on the change bus (long-poll.ts). */
  private waitFor<T extends { hash: string }>(compute: () => Promise<T>, after: string | undefined, timeoutMs: number, events: Exclude<ChangeName, 'close'>[]): Promise<T & { changed: boolean }> {
    return longPoll(this.deps.bus, compute, after, timeoutMs, events);
  }
}
