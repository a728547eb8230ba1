/**
 * The writers of standby apps (core/standby): their records in the store, the roles every
 * pull reads, the copies and keys that keep standbys close, failover when the writer's site is
 * declared lost, and switchovers asked for by an operator (`hafen failover APP --to SITE`).
 *
 * Failover: once a second (the leader's timer) every standby app whose writer is gone — its
 * site declared lost, or its host silent (no heartbeat for 20 s) while the sites agree by quorum
 * that its replica is down — gets its freshest standby outside the lost sites promoted, in a new
 * term written to the store only if no other controller wrote one first. The old writer learns of its new term when
 * its agent reaches the controller again: it stops its replica before anything else and keeps
 * what it wrote aside.
 *
 * Switchover, with no data lost: a new term with no writer (the old one stops: phase stopping),
 * then, once its agent reports it stopped, one final copy to the chosen standby (phase copying),
 * then the standby writes. A switchover that does not finish in time goes back to the old writer.
 */
import type { Alert } from '../core/alerting/alerts.js';
import { fleetOrderContext } from '../core/move/copy-orders.js';
import type { MoveAccessGrant, MoveCopyOrder } from '../core/render/move-orders.js';
import { replicaOf, unitName } from '../core/render/names.js';
import { copyId, replicationOrders } from '../core/standby/replication.js';
import type { Placement } from '../core/placement/types.js';
import { lsnValue } from '../core/standby/lsn.js';
import { SYNC_FRESH_MS, withPgStreams } from '../core/standby/postgres.js';
import { appRoles, pickPromotion, type AppRole, type StandbyRecord } from '../core/standby/roles.js';
import { candidates, standbyAlerts, standbyViews, type StandbyAppView } from '../core/standby/view.js';
import type { SwitchoverView } from '../core/move/switchover.js';
import { HafenError } from '../lib/errors.js';
import type { HostReports } from './host-reports.js';
import { HEARTBEAT_DOWN_MS } from './monitor.js';
import type { Snapshot } from './snapshot.js';
import type { Store } from './store/store.js';

/** How long the old writer may take to stop in a switchover, and the final copy to arrive, before it goes back. */
export const SWITCH_STOP_MS = 60_000;
export const SWITCH_COPY_MS = 10 * 60_000;

export interface StandbyDeps {
  store: Store;
  reports: Pick<HostReports, 'all' | 'get'>;
  current(): Promise<Snapshot | undefined>;
  lostSites(): string[];
  /** A check's state by quorum (the writer's replica check), and a host's heartbeat state. */
  checkState(id: string): string | undefined;
  hostState(host: string): string | undefined;
  /** A role changed: agents and proxies compute again. */
  changed(): void;
  /** Switchover moves' targets under way: standbys beside the placed ones, copying like them (controller/moves.ts). */
  moving?(): Promise<Placement[]>;
  now(): Date;
  log(line: string): void;
}

export class Standbys {
  private records = new Map<string, StandbyRecord>();
  private loading: Promise<void> | undefined;
  /** Apps whose writer is lost and that cannot fail over, with why and since when. */
  private readonly blocked = new Map<string, { reason: string; since: string }>();
  private ticking = false;
  /** The PostgreSQL streams last handed out (streams()). */
  private streamKey: string | undefined;

  constructor(private readonly deps: StandbyDeps) {}

  private load(): Promise<void> {
    this.loading ??= this.deps.store.standbyRoles().then((rs) => {
      this.records = new Map(rs.map((r) => [r.app, r]));
    });
    return this.loading;
  }

  /** Every standby app's writer and term in `cur` (the newest revision when not given); PostgreSQL apps with their streams. */
  async roles(cur?: Snapshot): Promise<Map<string, AppRole>> {
    await this.load();
    const snap = cur ?? (await this.deps.current());
    if (!snap) return new Map();
    const roles = appRoles(snap.fleet, snap.placements, [...this.records.values()]);
    if (!snap.fleet.apps.some((a) => a.workload.postgres && roles.has(a.id))) return roles;
    const reports = new Map((await this.deps.reports.all()).map((r) => [r.host, r]));
    const lost = new Set(this.deps.lostSites());
    const now = this.deps.now().getTime();
    const streaming = (p: Placement, term: number) => {
      if (lost.has(p.site) || !this.hostUp(reports, p.host)) return false;
      const copy = reports.get(p.host)?.status.agent?.moves?.copies.find((c) => c.id === copyId(p.app, term) && c.unit === unitName(p.app, p.replica));
      return copy?.copiedAt !== undefined && now - Date.parse(copy.copiedAt) <= SYNC_FRESH_MS;
    };
    return withPgStreams(snap.fleet.apps, snap.placements, roles, (h) => reports.get(h)?.status.agent?.address ?? snap.addresses.get(h), streaming);
  }

  /** What keeping standbys close asks of a host: copies to make, keys to let in. */
  async ordersFor(host: string): Promise<{ copies: MoveCopyOrder[]; access: MoveAccessGrant[] }> {
    const cur = await this.deps.current();
    if (!cur) return { copies: [], access: [] };
    const roles = await this.roles(cur);
    if (roles.size === 0) return { copies: [], access: [] };
    const reports = new Map((await this.deps.reports.all()).map((r) => [r.host, r.status]));
    const moving = (await this.deps.moving?.()) ?? [];
    return replicationOrders(
      cur.fleet.apps,
      moving.length ? [...cur.placements, ...moving] : cur.placements,
      roles,
      host,
      fleetOrderContext(
        cur.fleet,
        (h) => reports.get(h)?.agent?.address ?? cur.addresses.get(h),
        (h) => reports.get(h)?.agent?.moves,
      ),
    );
  }

  /** Each standby app now: term, writer, and how fresh each standby's copy is. */
  async views(): Promise<StandbyAppView[]> {
    const cur = await this.deps.current();
    if (!cur) return [];
    const roles = await this.roles(cur);
    const reports = new Map((await this.deps.reports.all()).map((r) => [r.host, r.status]));
    return standbyViews(cur.fleet, cur.placements, roles, (h) => reports.get(h)?.agent?.moves, this.deps.now().getTime());
  }

  /**
   * What a switchover move of `app`'s replica `replica` to `host` at `site` sees (core/move/switchover.ts):
   * the writer, a switchover under way, the standby with the freshest current copy elsewhere to
   * hand the writes to, and the target's own copy.
   */
  async moveView(app: string, replica: number, host: string, site: string): Promise<SwitchoverView> {
    const cur = await this.deps.current();
    const role = cur && (await this.roles(cur)).get(app);
    if (!cur || !role) return { writer: undefined, switching: false };
    const reports = new Map((await this.deps.reports.all()).map((r) => [r.host, r]));
    const lost = new Set(this.deps.lostSites());
    const [view] = standbyViews(cur.fleet, cur.placements, new Map([[app, role]]), (h) => reports.get(h)?.status.agent?.moves, this.deps.now().getTime());
    const handTo = (view?.standbys ?? [])
      .filter((s) => replicaOf(s.unit) !== replica && s.site !== site && !lost.has(s.site) && s.state === 'current' && this.hostUp(reports, s.host))
      .sort((a, b) => Date.parse(b.copiedAt!) - Date.parse(a.copiedAt!))[0];
    const copy = reports.get(host)?.status.agent?.moves?.copies.find((c) => c.id === copyId(app, role.term) && c.unit === unitName(app, replica));
    return {
      writer: role.active,
      switching: role.active === undefined || role.switching !== undefined,
      ...(handTo ? { handTo: { replica: replicaOf(handTo.unit), site: handTo.site } } : {}),
      ...(copy?.copiedAt ? { targetCopiedAt: Date.parse(copy.copiedAt) } : {}),
      ...(copy?.state === 'failed' ? { targetError: copy.error ?? 'no reason given' } : {}),
    };
  }

  /** Standbys behind their RPO or failing to copy, failovers that cannot happen, cut-off writers' data kept aside. */
  async alerts(): Promise<Alert[]> {
    const cur = await this.deps.current();
    const all = await this.deps.reports.all();
    const fenced = all.flatMap((r) => (r.status.agent?.fenced ?? []).map((f) => ({ host: r.host, fenced: f })));
    const customers = new Map((cur?.fleet.apps ?? []).map((a) => [a.id, a.customer]));
    return standbyAlerts(await this.views(), this.blocked, fenced, (app) => customers.get(app), this.deps.now().toISOString());
  }

  /** Fails over apps whose writer's site is lost, and moves switchovers on. Runs once a second on the leader. */
  async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      await this.load();
      await this.failover();
      await this.switching();
      await this.streams();
    } finally {
      this.ticking = false;
    }
  }

  /** PostgreSQL apps' streams follow hosts going silent and coming back (whom a synchronous writer waits for): agents are told. */
  private async streams(): Promise<void> {
    const roles = await this.roles();
    const key = JSON.stringify([...roles.values()].filter((r) => r.postgres).map((r) => [r.app, r.postgres]));
    if (this.streamKey !== undefined && key !== this.streamKey) this.deps.changed();
    this.streamKey = key;
  }

  private hostUp(reports: Map<string, { reportedAt: string }>, host: string): boolean {
    const r = reports.get(host);
    return r !== undefined && this.deps.now().getTime() - Date.parse(r.reportedAt) <= HEARTBEAT_DOWN_MS;
  }

  private async failover(): Promise<void> {
    const lost = new Set(this.deps.lostSites());
    const cur = await this.deps.current();
    if (!cur) return;
    const views = await this.views();
    const reports = new Map((await this.deps.reports.all()).map((r) => [r.host, r]));
    const now = this.deps.now().toISOString();
    for (const v of views) {
      // The writer is gone: its site is lost, or its host is silent and the sites agree its replica is down.
      const hostGone = v.active !== null && this.deps.hostState(v.active.host) === 'down' && this.deps.checkState(`replica:${v.active.unit}`) === 'down';
      if (!v.active || (!lost.has(v.active.site) && !hostGone)) {
        this.blocked.delete(v.app);
        continue;
      }
      const where = lost.has(v.active.site) ? `at lost site ${v.active.site}` : `on ${v.active.host}, which is silent and whose replica the sites see down`;
      const hostOf = new Map(v.standbys.map((s) => [s.unit, s.host]));
      const pick = pickPromotion(candidates(v), lost, (replica) => this.hostUp(reports, hostOf.get(unitName(v.app, replica)) ?? '') && hostOf.get(unitName(v.app, replica)) !== v.active!.host);
      if (!pick) {
        const reason = v.standbys.length === 0 ? `its writer ${v.active.unit} is ${where} and it has no standby` : `its writer ${v.active.unit} is ${where}, and no standby outside the lost sites whose host reports has a copy of its data`;
        if (this.blocked.get(v.app)?.reason !== reason) {
          this.blocked.set(v.app, { reason, since: now });
          this.deps.log(`standby ${v.app}: cannot fail over: ${reason}`);
        }
        continue;
      }
      const from = replicaOf(v.active.unit);
      const promoted = await this.write({ app: v.app, term: v.term + 1, active: pick.replica, since: now, reason: 'failover', previous: { replica: from, planned: false } });
      if (!promoted) continue;
      this.blocked.delete(v.app);
      const lag = pick.copiedAt !== undefined ? Math.round((this.deps.now().getTime() - pick.copiedAt) / 1000) : null;
      const message = `${v.app} failed over: ${unitName(v.app, pick.replica)} at ${pick.site} writes in term ${v.term + 1} (its copy is ${lag} s old); ${v.active.unit} ${where} is fenced`;
      this.deps.log(`standby ${message}`);
      await this.deps.store.addEvents([{ at: now, kind: 'standby', subject: v.app, state: 'failover', message, data: { term: v.term + 1, active: unitName(v.app, pick.replica), from: v.active.unit, lagSeconds: lag } }]);
    }
  }

  /** Writes a record if its app's term is still what this controller knows; reloads on a conflict. */
  private async write(record: StandbyRecord): Promise<boolean> {
    const before = this.records.get(record.app);
    const ok = await this.deps.store.putStandbyRole(record, before?.term ?? null);
    if (!ok) {
      this.loading = undefined;
      await this.load();
      return false;
    }
    this.records.set(record.app, record);
    this.deps.changed();
    return true;
  }

  /**
   * Starts a switchover of `app` to its replica at `site`: the writer stops, a final copy goes
   * to that replica, and it writes. Refused (HAFEN_STANDBY_*) for an app that is not a standby
   * app, a site without a standby of it, the writer's own site, a host that does not report, or
   * a switchover already under way.
   */
  async switchover(app: string, site: string): Promise<StandbyRecord> {
    await this.load();
    const cur = await this.deps.current();
    const a = cur?.fleet.apps.find((x) => x.id === app);
    if (!cur || !a) throw new HafenError('HAFEN_STANDBY_UNKNOWN_APP', `no app "${app}" in the newest revision`);
    if (a.redundancy.mode !== 'standby') throw new HafenError('HAFEN_STANDBY_NOT_STANDBY', `app "${app}" is not a standby app (redundancy.mode: ${a.redundancy.mode}): all its replicas take requests already`);
    const role = (await this.roles(cur)).get(app);
    if (!role || role.active === undefined) throw new HafenError('HAFEN_STANDBY_BUSY', `app "${app}" is switching over already (term ${role?.term ?? '?'}); wait for it to finish`);
    const placed = cur.placements.filter((p) => p.app === app);
    const writer = placed.find((p) => p.replica === role.active)!;
    if (writer.site === site) throw new HafenError('HAFEN_STANDBY_ALREADY_THERE', `${unitName(app, writer.replica)} at ${site} writes already (term ${role.term})`);
    const target = placed.filter((p) => p.site === site).sort((x, y) => x.replica - y.replica)[0];
    if (!target) throw new HafenError('HAFEN_STANDBY_NO_REPLICA', `app "${app}" has no standby at site ${site} (its replicas are at ${[...new Set(placed.map((p) => p.site))].join(', ')})`);
    const reports = new Map((await this.deps.reports.all()).map((r) => [r.host, r]));
    for (const h of [writer.host, target.host]) {
      if (!this.hostUp(reports, h)) throw new HafenError('HAFEN_STANDBY_HOST_DOWN', `host ${h} has not reported for ${HEARTBEAT_DOWN_MS / 1000} s: a switchover needs both the writer's and the standby's agents (a lost site fails over by itself)`);
    }
    const now = this.deps.now().toISOString();
    const record: StandbyRecord = { app, term: role.term + 1, active: null, since: now, reason: 'switchover', previous: { replica: writer.replica, planned: true }, switching: { to: target.replica, startedAt: now, phase: 'stopping' } };
    if (!(await this.write(record))) throw new HafenError('HAFEN_STANDBY_BUSY', `app "${app}" changed writer meanwhile; look at hafen status and try again`);
    await this.deps.store.addEvents([{ at: now, kind: 'standby', subject: app, state: 'switching', message: `${app} switches over from ${unitName(app, writer.replica)} (${writer.site}) to ${unitName(app, target.replica)} (${site}) in term ${record.term}`, data: { term: record.term } }]);
    return record;
  }

  /** Moves each switchover on: writer stopped → final copy; copy done → the new writer; too slow or failed → back to the old one. */
  private async switching(): Promise<void> {
    for (const r of [...this.records.values()]) {
      if (!r.switching || !r.previous) continue;
      const cur = await this.deps.current();
      if (!cur) return;
      const placed = cur.placements.filter((p) => p.app === r.app);
      const old = placed.find((p) => p.replica === r.previous!.replica);
      const target = placed.find((p) => p.replica === r.switching!.to);
      const now = this.deps.now();
      const back = (why: string) => this.back(r, why, now.toISOString());
      if (!old || !target) {
        await back('its replicas were placed elsewhere meanwhile');
        continue;
      }
      const age = now.getTime() - Date.parse(r.switching.startedAt);
      if (r.switching.phase === 'stopping') {
        const unit = (await this.deps.reports.get(old.host))?.status.units.find((u) => u.name === unitName(r.app, old.replica));
        if (unit?.state === 'standby') await this.write({ ...r, switching: { ...r.switching, phase: 'copying' } });
        else if (age > SWITCH_STOP_MS) await back(`${unitName(r.app, old.replica)} on ${old.host} did not stop within ${SWITCH_STOP_MS / 1000} s`);
        continue;
      }
      if (cur.fleet.apps.find((a) => a.id === r.app)?.workload.postgres) {
        await this.pgSwitching(r, old, target, age, now, back);
        continue;
      }
      const copy = (await this.deps.reports.get(target.host))?.status.agent?.moves?.copies.find((c) => c.id === copyId(r.app, r.term, true) && c.unit === unitName(r.app, target.replica));
      if (copy?.state === 'done' && copy.identical !== false) {
        const { switching: _s, ...rest } = r;
        if (await this.write({ ...rest, active: target.replica, since: now.toISOString() })) {
          const message = `${r.app} switched over: ${unitName(r.app, target.replica)} at ${target.site} writes in term ${r.term} (final copy ${copy.bytes ?? 0} bytes in ${copy.seconds ?? 0} s; ${Math.round(age / 100) / 10} s without a writer)`;
          this.deps.log(`standby ${message}`);
          await this.deps.store.addEvents([{ at: now.toISOString(), kind: 'standby', subject: r.app, state: 'switched', message, data: { term: r.term, active: unitName(r.app, target.replica), seconds: age / 1000 } }]);
        }
      } else if (copy?.state === 'failed' || (copy?.state === 'done' && copy.identical === false)) {
        await back(`the final copy to ${target.host} ${copy.state === 'failed' ? `failed: ${copy.error ?? 'no reason given'}` : `differs from the source: ${(copy.differences ?? []).join(', ')}`}`);
      } else if (age > SWITCH_COPY_MS) {
        await back(`the final copy to ${target.host} did not finish within ${SWITCH_COPY_MS / 60_000} min`);
      }
    }
  }

  /**
   * A PostgreSQL app's switchover, once its old writer stopped cleanly: no file copy — the target
   * streamed from it to the end, so it is promoted once the WAL it received reaches the old
   * writer's last checkpoint (both agents report them: UnitReport.wal).
   */
  private async pgSwitching(r: StandbyRecord, old: Placement, target: Placement, age: number, now: Date, back: (why: string) => Promise<void>): Promise<void> {
    const walOf = async (p: Placement) => (await this.deps.reports.get(p.host))?.status.units.find((u) => u.name === unitName(r.app, p.replica))?.wal;
    const [last, received] = [await walOf(old), await walOf(target)];
    if (last && received && lsnValue(received) >= lsnValue(last)) {
      const { switching: _s, ...rest } = r;
      if (await this.write({ ...rest, active: target.replica, since: now.toISOString() })) {
        const message = `${r.app} switched over: ${unitName(r.app, target.replica)} at ${target.site} writes in term ${r.term} (it received all the old writer wrote, to ${last}; ${Math.round(age / 100) / 10} s without a writer)`;
        this.deps.log(`standby ${message}`);
        await this.deps.store.addEvents([{ at: now.toISOString(), kind: 'standby', subject: r.app, state: 'switched', message, data: { term: r.term, active: unitName(r.app, target.replica), seconds: age / 1000 } }]);
      }
    } else if (age > SWITCH_COPY_MS) {
      await back(`${unitName(r.app, target.replica)} on ${target.host} did not receive the old writer's last WAL (${last ?? 'not reported'}; it has ${received ?? 'none reported'}) within ${SWITCH_COPY_MS / 60_000} min`);
    }
  }

  /** A switchover that cannot finish: the old writer writes again, in a new term. */
  private async back(r: StandbyRecord, why: string, now: string): Promise<void> {
    const record: StandbyRecord = { app: r.app, term: r.term + 1, active: r.previous!.replica, since: now, reason: 'switchover', previous: { replica: r.switching!.to, planned: true } };
    if (!(await this.write(record))) return;
    const message = `${r.app}: the switchover to ${unitName(r.app, r.switching!.to)} was given up (${why}); ${unitName(r.app, r.previous!.replica)} writes again in term ${record.term}`;
    this.deps.log(`standby ${message}`);
    await this.deps.store.addEvents([{ at: now, kind: 'standby', subject: r.app, state: 'switch-failed', message, data: { term: record.term } }]);
  }
}
