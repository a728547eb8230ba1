/**
 * The leading controller's parts, wired: the composition root. Each part gets the narrow
 * dependencies it needs (its `…Deps` interface); this is the one place where the parts meet.
 *
 *   RevisionKeeper  fleet → plan/apply/rollback → revision (snapshot), secrets
 *   Pulls           revision + holds + self-healing + moves + backups + reports → what agents, proxies, probers pull
 *   HostReports     agents' reports (batched into the store)
 *   Holds, Rollouts hosts held at earlier revisions; staged rollouts to one site
 *   Moves           moves between sites: consent, runs, their revision (RevisionKeeper.placeMove)
 *   Standbys        standby apps' writers: roles, replication orders, failover, switchover
 *   BackupBook      backup jobs, tasks, access
 *   Watch           monitoring, alerting, uptime, self-healing
 *   ChangeBus       what changed → long-polls compute again
 */
import { firewallStates } from '../core/alerting/firewall.js';
import { checksOf } from '../core/pull/pull.js';
import { BackupBook } from './backups.js';
import { ChangeBus } from './change-bus.js';
import { Holds } from './holds.js';
import { HostReports } from './host-reports.js';
import { Pulls } from './pulls.js';
import { Planner, type PlannerOptions } from './planner.js';
import { RevisionKeeper } from './revisions.js';
import { Rollouts } from './rollouts.js';
import type { Secrets } from './secrets.js';
import { Moves } from './moves.js';
import { Standbys } from './standbys.js';
import { writerBackups } from '../core/standby/backups.js';
import type { Snapshot } from './snapshot.js';
import type { Store } from './store/store.js';
import { Watch } from './watch.js';

/** The leading controller's parts, for the API plugins (each takes what it needs) and the reconcilers' timers. */
export interface Controller {
  store: Store;
  secrets: Secrets;
  bus: ChangeBus;
  revisions: RevisionKeeper;
  pulls: Pulls;
  reports: HostReports;
  holds: Holds;
  rollouts: Rollouts;
  moves: Moves;
  backups: BackupBook;
  standbys: Standbys;
  watch: Watch;
  /** Ends every pending long-poll and stops the plan worker now (on shutdown), so closing waits for neither. */
  close(): void;
  /** Writes what is only in memory (the last host reports, uptime not yet written); call before closing the store. */
  flush(): Promise<void>;
}

export function wireController(store: Store, secrets: Secrets, now: () => Date = () => new Date(), log: (line: string) => void = () => {}, plans: PlannerOptions = {}): Controller {
  const bus = new ChangeBus();
  const planner = new Planner(plans);
  const reports = new HostReports(store);
  const holds: Holds = new Holds(store, (n) => revisions.renderRevision(n));
  const revisions: RevisionKeeper = new RevisionKeeper({ store, planner, secrets, holds, rollouts: () => rollouts, bus, now });
  const current = () => revisions.current();
  const rollouts: Rollouts = new Rollouts({
    store,
    holds,
    desiredFor: (host) => pulls.desiredFor(host),
    report: (host) => reports.get(host),
    settled: (hosts) => reports.settled(hosts),
    changed: () => bus.emit('revision'),
    now,
    log,
  });
  const moves = new Moves({
    store,
    linkToken: (id) => `hfc_${secrets.derive(`consent-link ${id}`)}`,
    current,
    report: (host) => reports.get(host),
    settled: (hosts) => reports.settled(hosts),
    place: (r) => revisions.placeMove(r),
    standby: { moveView: (...a) => standbys.moveView(...a), switchover: (...a) => standbys.switchover(...a) },
    changed: () => {
      bus.emit('revision');
      bus.emit('routes');
    },
    now,
    log,
  });
  // The backup book sees each standby app's job where its writer is (core/standby/backups.ts); kept while the revision and the roles stay.
  let backupView: { cur: Snapshot; roles: string; view: Snapshot } | undefined;
  const withWriterBackups = async (): Promise<Snapshot | undefined> => {
    const cur = await current();
    if (!cur) return undefined;
    const roles = await standbys.roles(cur);
    const key = JSON.stringify([...roles.values()].map((r) => [r.app, r.active]));
    if (backupView?.cur !== cur || backupView.roles !== key) {
      const desired = writerBackups(cur.desired, cur.placements, roles);
      backupView = { cur, roles: key, view: desired === cur.desired ? cur : { ...cur, desired: new Map(desired) } };
    }
    return backupView.view;
  };
  const standbys: Standbys = new Standbys({
    store,
    reports,
    current,
    moving: () => moves.standbyTargets(),
    lostSites: () => watch.monitor.lostSites(),
    checkState: (id) => watch.monitor.stateOf(id),
    hostState: (host) => watch.monitor.hosts().find((h) => h.host === host)?.state,
    changed: () => {
      bus.emit('revision');
      bus.emit('routes');
    },
    now,
    log,
  });
  const backups = new BackupBook(store, { current: () => withWriterBackups(), reports: () => reports.all(), changed: () => bus.emit('backup'), now });
  const watch = new Watch(
    store,
    secrets,
    {
      current: async () => {
        const cur = await current();
        return cur && { fleet: cur.fleet, checks: async () => checksOf(cur, await reports.all(), await standbys.roles(cur)) };
      },
      reports: () => reports.all(),
      backups: () => backups.apps(),
      backupDisks: () => backups.disks(),
      firewalls: async () => {
        const cur = await current();
        return cur ? firewallStates(cur.fleet.hosts, await holds.effective(cur, cur.fleet.hosts), await reports.all()) : [];
      },
      changed: (what) => bus.emit(what),
      maintenance: () => moves.maintenance(),
      standbys: () => standbys.alerts(),
    },
    now,
    log,
  );
  const pulls: Pulls = new Pulls({
    bus,
    reports,
    current,
    baseOf: (host, cur) => holds.baseOf(host, cur),
    heal: (state, hash) => watch.remediation.apply(state, hash),
    lostSites: () => watch.monitor.lostSites(),
    moves,
    backups,
    standbys,
  });
  return {
    store,
    secrets,
    bus,
    revisions,
    pulls,
    reports,
    holds,
    rollouts,
    moves,
    backups,
    standbys,
    watch,
    close: () => {
      bus.emit('close');
      // A plan computing now is stopped, not waited for (a large one takes minutes).
      void planner.close();
    },
    flush: async () => {
      await reports.flush();
      await watch.uptime.flush();
    },
  };
}
