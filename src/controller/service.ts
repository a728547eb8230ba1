/**
 * The controller's logic, independent of HTTP: validate and plan a fleet against the current
 * revision, store revisions with the revision check, render each host's desired state, and
 * wake agents waiting for a change. The HTTP plugins in api/ are thin wrappers around it.
 */
import { EventEmitter } from 'node:events';
import type { Fleet } from '../core/fleet/model.js';
import type { FleetSource, ParsedFile } from '../core/fleet/source.js';
import { validateFleet } from '../core/fleet/validate.js';
import type { IpamResult } from '../core/ipam/allocate.js';
import type { AllocationRecord } from '../core/ipam/record.js';
import type { Placement } from '../core/placement/types.js';
import { hostStateHash, type HostDesiredState } from '../core/render/desired.js';
import { secretUses } from '../core/render/env.js';
import { firewallStates } from '../core/alerting/firewall.js';
import { BackupBook } from './backups.js';
import { addressesOf, render } from './render.js';
import { endpoint, type ProxyView } from './proxy-views.js';
import { backupSecretName } from '../core/render/backups.js';
import { routeTable, routeTableHash, type RouteTable } from '../core/render/routes.js';
import { deriveChecks, probesHash, resolveProbes, type Check, type Probe, type ProxyEndpoint } from '../core/monitor/checks.js';
import { contentHash } from '../core/util/canonical.js';
import { HafenError } from '../lib/errors.js';
import { HostReports } from './host-reports.js';
import { storedRecord, type PlanResult, type Prepared, type Snapshot } from './snapshot.js';
import { longPoll } from './long-poll.js';
import { Holds } from './holds.js';
import { Rollouts, type SiteRolloutRequest } from './rollouts.js';
import { SiteMigrations } from './site-migrations.js';
import { prepareFleet } from './prepare.js';
import { overlayRoutes, overlayUnits } from '../core/migration/overlay.js';
import type { MigrationRecord } from '../core/migration/record.js';
import type { Rollout } from '../core/plan/rollout.js';
import { Watch, type WatchSource } from './watch.js';
import type { Secrets } from './secrets.js';
import type { HostStatus, SecretInfo, Store } from './store/store.js';

export type { PlanResult, Snapshot };

export class ControllerService {
  private snapshot?: Snapshot;
  /** Parsed fleet files by name: a plan re-parses only the files that changed. */
  private readonly parsed = new Map<string, ParsedFile>();
  private readonly changes = new EventEmitter();
  /** Agents' last reports, written to the store in batches. */
  readonly reports: HostReports;
  /** Monitoring, uptime, alerting and self-healing (watch.ts). */
  readonly watch: Watch;
  /** Each app's backup job and last runs (backups.ts). */
  readonly backups: BackupBook;
  /** Hosts held at an earlier revision (holds.ts). */
  readonly holds: Holds;
  /** Staged rollouts to one site (rollouts.ts); `tick` runs the one in progress. */
  readonly rollouts: Rollouts;
  /** Moves between sites, their consent and their runs (site-migrations.ts); `tick` moves them on. */
  readonly migrations: SiteMigrations;

  constructor(
    readonly store: Store,
    readonly secrets: Secrets,
    private readonly now: () => Date = () => new Date(),
    log: (line: string) => void = () => {},
  ) {
    this.changes.setMaxListeners(0);
    this.reports = new HostReports(store);
    this.holds = new Holds(store, (n) => this.renderRevision(n));
    this.rollouts = new Rollouts({
      store,
      holds: this.holds,
      desiredFor: (host) => this.desiredFor(host),
      report: (host) => this.reports.get(host),
      settled: (hosts) => this.reports.settled(hosts),
      changed: () => this.changes.emit('revision'),
      now,
      log,
    });
    this.migrations = new SiteMigrations({
      store,
      linkToken: (id) => `hfc_${secrets.derive(`consent-link ${id}`)}`,
      current: () => this.current(),
      report: (host) => this.reports.get(host),
      settled: (hosts) => this.reports.settled(hosts),
      place: (r) => this.placeMove(r),
      changed: () => ['revision', 'routes'].forEach((e) => this.changes.emit(e)),
      now,
      log,
    });
    this.backups = new BackupBook(store, {
      current: () => this.current(),
      reports: () => this.reports.all(),
      changed: () => this.changes.emit('backup'),
      now,
    });
    const source: WatchSource = {
      current: async () => {
        const cur = await this.current();
        return cur && { fleet: cur.fleet, checks: () => this.checksOf(cur) };
      },
      reports: () => this.reports.all(),
      backups: () => this.backups.apps(),
      backupDisks: () => this.backups.disks(),
      firewalls: async () => {
        const cur = await this.current();
        return cur ? firewallStates(cur.fleet.hosts, await this.holds.effective(cur, cur.fleet.hosts), await this.reports.all()) : [];
      },
      changed: (what) => this.changes.emit(what),
      maintenance: async () => this.migrations.maintenance(),
    };
    this.watch = new Watch(store, secrets, source, now, log);
  }

  /** The newest revision, rendered (cached until the next revision or secret change). */
  async current(): Promise<Snapshot | undefined> {
    const head = await this.store.head();
    if (!head) return undefined;
    if (this.snapshot?.revision === head.number) return this.snapshot;
    const rev = (await this.store.getRevision(head.number))!;
    const sources = rev.fleet as FleetSource[];
    const res = validateFleet(sources, { parseCache: this.parsed, ...storedRecord(rev.allocations) });
    if (!res.fleet) throw new HafenError('HAFEN_STORE_CORRUPT', `revision ${rev.number} no longer validates (${res.problems[0]?.message ?? 'unknown problem'})`);
    return this.remember(rev.number, res.fleet, sources, rev.placements, await this.secrets.versions(), res.ipam);
  }

  /** An earlier revision's desired states, with today's secret versions (for hosts held at it). */
  private async renderRevision(number: number): Promise<Map<string, HostDesiredState>> {
    const rev = await this.store.getRevision(number);
    if (!rev) throw new HafenError('HAFEN_STORE_CORRUPT', `hosts are held at revision ${number}, which is not in the store`);
    const res = validateFleet(rev.fleet as FleetSource[], storedRecord(rev.allocations));
    if (!res.fleet) throw new HafenError('HAFEN_STORE_CORRUPT', `revision ${number} no longer validates (${res.problems[0]?.message ?? 'unknown problem'})`);
    return render(res.fleet, rev.placements, number, await this.secrets.versions(), res.ipam);
  }

  /** Renders and caches a revision (after an apply, from what was just planned: no second parse). */
  private remember(
    revision: number,
    fleet: Fleet,
    sources: FleetSource[],
    placements: Placement[],
    secretVersions: ReadonlyMap<string, number>,
    ipam: IpamResult | undefined,
    rendered?: Map<string, HostDesiredState>,
  ): Snapshot {
    const addresses = addressesOf(ipam);
    const desired = rendered ?? render(fleet, placements, revision, secretVersions, ipam);
    const hashes = new Map([...desired].map(([host, s]) => [host, hostStateHash(s)]));
    this.snapshot = { revision, fleet, sources, placements, desired, hashes, addresses, ...(ipam ? { ipam } : {}) };
    return this.snapshot;
  }

  /** Validates and plans `sources` against the current revision, keeping its placements; with a site, also the rollout's stages and the hosts held elsewhere. */
  async plan(sources: FleetSource[], site?: string, lock?: AllocationRecord): Promise<PlanResult & { stages?: string[][]; held?: string[] }> {
    const prepared = await this.prepare(sources, lock);
    if (site === undefined) return prepared.plan;
    const cur = await this.current();
    const staged = await this.rollouts.plan({ site }, prepared.fleet.hosts, prepared.desired, cur, (cur?.revision ?? 0) + 1, 'plan');
    return { ...prepared.plan, stages: staged.rollout?.stages ?? [], held: staged.elsewhere };
  }

  /** The plan, and what an apply of it keeps (prepare.ts); `previous` instead of the newest revision's placements. */
  private async prepare(sources: FleetSource[], lock?: AllocationRecord, previous?: readonly Placement[]): Promise<Prepared> {
    return prepareFleet({ parsed: this.parsed, secrets: this.secrets, holds: this.holds, current: await this.current() }, sources, lock, previous);
  }

  /**
   * Stores `sources` as a new revision on top of `parent`. Refuses an invalid fleet, replicas
   * that cannot be placed, and a parent that is no longer the newest revision. Without `site`
   * every host gets it at once (holds end); with `site` the hosts that change are held and a
   * staged rollout takes the site's through (rollouts.ts); a fleet equal to the newest
   * revision's (as parsed: comments and file names aside) makes no new revision, only the
   * rollout of the held hosts at the site.
   */
  async apply(sources: FleetSource[], parent: number | null, author: string, message?: string, site?: SiteRolloutRequest, lock?: AllocationRecord, previous?: readonly Placement[]): Promise<PlanResult & { revision: number; rollout?: Rollout; held?: string[] }> {
    const prepared = await this.prepare(sources, lock, previous);
    const { plan } = prepared;
    const running = await this.rollouts.running();
    if (running) {
      throw new HafenError('HAFEN_ROLLOUT_RUNNING', `rollout ${running.id} (revision ${running.revision} at ${running.site}) is still running; wait for it (hafen rollout status ${running.id}) or abort it (hafen rollout abort ${running.id})`);
    }
    if (plan.parent !== parent) {
      throw new HafenError('HAFEN_STORE_REVISION_CONFLICT', `the fleet changed since you planned: revision ${plan.parent ?? 'none'} is now the newest, you planned against ${parent ?? 'none'}; plan and apply again`);
    }
    if (plan.unplaced.length > 0) {
      throw new HafenError('HAFEN_PLAN_UNPLACED', `${plan.unplaced.length} replica(s) cannot be placed; nothing was changed`, { details: plan.unplaced });
    }
    // Each app with backups has its repository password (secret backup-<app>), made the first
    // time a revision backs the app up and never changed by hafen after.
    const passwords = prepared.fleet.apps.filter((a) => a.backup).map((a) => backupSecretName(a.id));
    await this.secrets.makeMissing(passwords, 'hafen (backup repository password)', this.now());
    const cur = await this.current();
    const staged = site && (await this.rollouts.plan(site, prepared.fleet.hosts, prepared.desired, cur, (parent ?? 0) + 1, author));
    if (staged && cur && contentHash(prepared.fleet) === contentHash(cur.fleet) && contentHash(prepared.ipam?.record ?? null) === contentHash(cur.ipam?.record ?? null)) {
      // Nothing new to store: roll the newest revision out to the site's held hosts.
      const rollout = staged.rollout && (await this.store.saveRollout({ ...staged.rollout, revision: cur.revision }, staged.holds));
      this.holds.changed();
      this.changes.emit('revision', cur.revision);
      return { ...plan, revision: cur.revision, ...(rollout ? { rollout } : {}), held: staged.elsewhere };
    }
    const rev = await this.store.appendRevision({
      parent,
      fleet: sources,
      placements: plan.placements,
      diff: plan.diff,
      author,
      createdAt: this.now().toISOString(),
      ...(message ? { message } : {}),
      ...(prepared.ipam ? { allocations: prepared.ipam.record } : {}),
      holds: staged ? staged.holds : [],
      ...(staged && staged.rollout ? { rollout: staged.rollout } : {}),
    });
    this.holds.changed();
    // The plan rendered revision parent+1, which this is; reuse it unless a secret changed meanwhile.
    const versions = await this.secrets.versions();
    this.remember(rev.number, prepared.fleet, sources, plan.placements, versions, prepared.ipam, versions === prepared.secretVersions ? prepared.desired : undefined);
    this.changes.emit('revision', rev.number);
    const rollout = rev.rolloutId !== undefined ? await this.store.rollout(rev.rolloutId) : undefined;
    return { ...plan, revision: rev.number, ...(rollout ? { rollout } : {}), ...(staged ? { held: staged.elsewhere } : {}) };
  }

  /**
   * The revision that ends a move: the newest fleet, the move's replicas at its target (none
   * when the newest revision has them there already). Refused, and tried again by the move,
   * while a rollout runs or when the target no longer fits.
   */
  private async placeMove(r: MigrationRecord): Promise<number> {
    const cur = await this.current();
    if (!cur) throw new HafenError('HAFEN_MIGRATE_NO_REVISION', 'the controller runs no fleet');
    const target = (p: Placement) => (p.app === r.move.app ? r.move.targets.find((t) => t.replica === p.replica) : undefined);
    if (cur.placements.every((p) => !target(p) || p.host === target(p)!.to)) return cur.revision;
    const moved = cur.placements.map((p) => (target(p) ? { ...p, host: target(p)!.to, site: r.move.to } : p));
    const plan = (await this.prepare(cur.sources, cur.ipam?.record, moved)).plan;
    const off = plan.placements.find((p) => target(p) && p.host !== target(p)!.to);
    if (off) throw new HafenError('HAFEN_MIGRATE_TARGET_GONE', `${r.move.app}-r${off.replica} no longer fits on ${target(off)!.to} in the newest fleet (it would go to ${off.host})`);
    return (await this.apply(cur.sources, cur.revision, `migration ${r.id}`, `move ${r.move.app} from ${r.move.from} to ${r.move.to}`, undefined, cur.ipam?.record, moved)).revision;
  }

  /** Applies the fleet of an earlier revision as a new revision. */
  async rollback(to: number, author: string): Promise<PlanResult & { revision: number }> {
    const old = await this.store.getRevision(to);
    if (!old) throw new HafenError('HAFEN_REVISION_NOT_FOUND', `there is no revision ${to}`);
    const head = await this.store.head();
    return this.apply(old.fleet as FleetSource[], head?.number ?? null, author, `rollback to revision ${to}`);
  }

  /** Sets a secret; the units using it get a new hash, and their agents restart them with the new value. */
  async setSecret(name: string, value: string, author: string): Promise<SecretInfo> {
    const info = await this.secrets.set(name, value, author, this.now());
    await this.secretsChanged();
    return info;
  }

  /** Deletes a secret, unless the newest revision uses it. */
  async deleteSecret(name: string): Promise<void> {
    const users = await this.secretUsers(name);
    if (users.length > 0) {
      throw new HafenError('HAFEN_SECRET_IN_USE', `secret "${name}" is used by ${users.join(', ')} in revision ${(await this.current())?.revision}; apply a fleet without it first`);
    }
    if (!(await this.secrets.remove(name, this.now()))) throw new HafenError('HAFEN_SECRET_NOT_FOUND', `there is no secret "${name}"`);
    await this.secretsChanged();
  }

  /** Apps of the newest revision that use the secret. */
  async secretUsers(name: string): Promise<string[]> {
    const cur = await this.current();
    return [...new Set(secretUses(cur?.fleet ?? { apps: [] }).filter((u) => u.secret === name).map((u) => u.app))];
  }

  /** Re-renders the current revision with the new secret versions and wakes the agents. */
  private async secretsChanged(): Promise<void> {
    this.snapshot = undefined;
    this.holds.secretsChanged();
    const cur = await this.current();
    if (cur) this.changes.emit('revision', cur.revision);
  }

  /** The desired state of a host and its hash (an empty state when the host has no units). */
  async desiredFor(host: string): Promise<{ state: HostDesiredState; hash: string; revision: number; heldAt?: number }> {
    const cur = await this.current();
    const base = await this.holds.baseOf(host, cur);
    const held = base.heldAt !== undefined ? { heldAt: base.heldAt } : {};
    const healed = await this.watch.remediation.apply(base.state, base.hash);
    // A running move adds its target replica here, a cutover stops its source (site-migrations.ts).
    const moved = overlayUnits(healed.state, await this.migrations.overlays(), (h) => cur?.desired.get(h)?.units);
    const { state, hash } = moved === healed.state ? healed : { state: moved, hash: hostStateHash(moved) };
    // Backup hosts let in their jobs' agents; a job's host gets its tasks; a cutover's target pulls from its source.
    const access = await this.backups.accessFor(host);
    const tasks = await this.backups.ordersFor(host);
    const moves = await this.migrations.movesFor(host);
    const extra = { ...(access ? { backupAccess: access } : {}), ...(tasks.length ? { backupTasks: tasks } : {}), ...(moves.copies.length ? { moveCopies: moves.copies } : {}), ...(moves.access.length ? { moveAccess: moves.access } : {}) };
    if (Object.keys(extra).length === 0) return { state, hash, revision: cur?.revision ?? 0, ...held };
    const full = { ...state, ...extra };
    return { state: full, hash: hostStateHash(full), revision: cur?.revision ?? 0, ...held };
  }

  /** Ends every pending long-poll now (on shutdown), so closing does not wait for them. */
  close(): void {
    this.changes.emit('close');
  }

  /** Writes what is only in memory (the last host reports, uptime not yet written); call before closing the store. */
  async flush(): Promise<void> {
    await this.reports.flush();
    await this.watch.uptime.flush();
  }

  /** Resolves when the host's desired state differs from `after`, or after `timeoutMs` with the current one. */
  waitForChange(host: string, after: string | undefined, timeoutMs: number): Promise<{ state: HostDesiredState; hash: string; revision: number; changed: boolean }> {
    return this.waitFor(() => this.desiredFor(host), after, timeoutMs, ['revision', 'backup']);
  }

  /** Resolves when the route table differs from `after` (a new revision, a host reporting a new address), or after `timeoutMs`. */
  waitForRoutes(after: string | undefined, timeoutMs: number): Promise<{ table: RouteTable; hash: string; changed: boolean }> {
    return this.waitFor(() => this.routes(), after, timeoutMs, ['revision', 'routes']);
  }

  /** A long-poll on this service's changes (long-poll.ts). */
  private waitFor<T extends { hash: string }>(compute: () => Promise<T>, after: string | undefined, timeoutMs: number, events: string[]): Promise<T & { changed: boolean }> {
    return longPoll(this.changes, compute, after, timeoutMs, events);
  }

  /**
   * The edge proxies' route table: the newest revision's apps and replicas, at the address
   * each host's agent reports (where its units listen), else the host's IPAM address.
   */
  async routes(): Promise<{ table: RouteTable; hash: string }> {
    const cur = await this.current();
    if (!cur) return { table: { revision: 0, routes: [] }, hash: routeTableHash({ routes: [] }) };
    // Sites the monitor declared lost are used last by every proxy.
    const reachable = await this.reachable(cur);
    const plain = routeTable(cur.fleet, cur.placements, cur.revision, reachable, this.watch.monitor.lostSites());
    const table = overlayRoutes(plain, await this.migrations.overlays(), (h) => cur.fleet.hosts.find((x) => x.id === h)?.site, (h) => reachable.get(h));
    return { table, hash: routeTableHash(table) };
  }

  /** Where each host's units are reachable: the address its agent reports, else its IPAM address. */
  private async reachable(cur: Snapshot): Promise<Map<string, string>> {
    const addresses = new Map(cur.addresses);
    for (const r of await this.reports.all()) {
      const reported = r.status.agent?.address;
      if (reported) addresses.set(r.host, reported);
    }
    return addresses;
  }

  /** Every check of the newest revision (core/monitor/checks.ts), at the addresses units are reachable at. */
  async checks(): Promise<Check[]> {
    const cur = await this.current();
    return cur ? this.checksOf(cur) : [];
  }

  private async checksOf(cur: Snapshot): Promise<Check[]> {
    return deriveChecks(cur.fleet, cur.placements, await this.reachable(cur));
  }

  /** The site of a host in the newest revision, if the host is in it. */
  async siteOf(host: string): Promise<string | undefined> {
    return (await this.current())?.fleet.hosts.find((h) => h.id === host)?.site;
  }

  /** What the probers of `site` run: every check, those through the proxies sent to the proxies that report where they listen. */
  async probesFor(site: string): Promise<{ probes: Probe[]; hash: string }> {
    const cur = await this.current();
    const addresses = cur ? await this.reachable(cur) : new Map<string, string>();
    const proxies: ProxyEndpoint[] = [];
    for (const [host, v] of this.proxyViews) {
      const plain = v.listen ? endpoint(v.listen, addresses.get(host)) : undefined;
      const secure = v.tlsListen ? endpoint(v.tlsListen, addresses.get(host)) : undefined;
      if (plain) proxies.push({ site: v.site, address: plain.address, port: plain.port, ...(secure ? { tlsPort: secure.port } : {}) });
    }
    const probes = resolveProbes(await this.checks(), site, proxies);
    return { probes, hash: probesHash(probes) };
  }

  waitForProbes(site: string, after: string | undefined, timeoutMs: number): Promise<{ probes: Probe[]; hash: string; changed: boolean }> {
    return this.waitFor(() => this.probesFor(site), after, timeoutMs, ['revision', 'routes', 'proxies']);
  }

  /** Records what a proxy reports about itself; a proxy that starts or moves wakes the probers. */
  recordProxyView(host: string, view: ProxyView): void {
    const before = this.proxyViews.get(host);
    this.proxyViews.set(host, view);
    if (before?.listen !== view.listen || before?.tlsListen !== view.tlsListen || before?.site !== view.site) this.changes.emit('proxies');
  }

  /** Records an agent's report; a changed address changes the route table, so proxies are woken. */
  async recordReport(status: HostStatus): Promise<void> {
    const before = await this.reports.get(status.host);
    this.reports.record(status);
    if (before?.status.agent?.address !== status.status.agent?.address) this.changes.emit('routes');
    // A new key changes what a backup host must let in, or (a cutover's copy key) a move's source host.
    if (before?.status.agent?.sshKey !== status.status.agent?.sshKey) this.backups.keysChanged();
    this.migrations.reported(before?.status, status.status);
  }

  /** What each proxy last said about the replicas it sees, by proxy host. */
  readonly proxyViews = new Map<string, ProxyView>();
}
