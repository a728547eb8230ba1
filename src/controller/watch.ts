/**
 * The controller's watch over the running fleet: the monitor (check states by quorum), the
 * uptime book, the alerting and the self-healing, evaluated together once a second and after
 * each batch of probe results. Evaluations run one at a time: two deciding at once could both
 * send a group's first notification. The revision and the host reports come from the
 * controller service (`WatchSource`); the watch never reads them twice per evaluation.
 */
import type { ChangeName } from './change-bus.js';
import type { BackupState, RepositoryDisk } from '../core/alerting/backups.js';
import type { HostFirewallState } from '../core/alerting/firewall.js';
import { Alerting as AlertingSchema } from '../core/fleet/schema/alerting.js';
import type { Alert } from '../core/alerting/alerts.js';
import type { AlertingSpec } from '../core/fleet/schema/fleet.js';
import type { Fleet } from '../core/fleet/model.js';
import type { Check } from '../core/monitor/checks.js';
import { Alerting } from './alerting.js';
import { Monitor, staleAfter } from './monitor.js';
import { Remediation } from './remediation.js';
import type { Secrets } from './secrets.js';
import type { Store } from './store/store.js';
import { UptimeBook } from './uptime.js';

/** Before the first revision: no receivers. */
const NO_ALERTING: AlertingSpec = AlertingSchema.parse({});

export interface WatchSource {
  /** The newest revision's fleet and a way to its checks (derived only when asked); undefined before the first revision. */
  current(): Promise<{ fleet: Fleet; checks(): Promise<Check[]> } | undefined>;
  /** When each host's agent last reported. */
  reports(): Promise<{ host: string; reportedAt: string }[]>;
  /** Each app's backup job and last runs. */
  backups(): Promise<BackupState[]>;
  /** The backup hosts' repository disks. */
  backupDisks(): Promise<RepositoryDisk[]>;
  /** Each host's desired firewall and what its agent reported of it. */
  firewalls(): Promise<HostFirewallState[]>;
  /** A lost site changes the route table; a restart, a host's desired state. */
  changed(what: Extract<ChangeName, 'routes' | 'revision'>): void;
  /** Planned work besides the fleet's (running cutovers: their app is down by plan). */
  maintenance(): Promise<AlertingSpec['maintenance']>;
  /** Standby apps' alerts: standbys behind their RPO, failovers that cannot happen, fenced writers' data kept aside. */
  standbys(): Promise<Alert[]>;
}

export class Watch {
  /** Check states from every site's probes. */
  readonly monitor: Monitor;
  /** Alerts, their groups and notifications. */
  readonly alerting: Alerting;
  /** Uptime per app and day. */
  readonly uptime: UptimeBook;
  /** Restarts of replicas that stay unhealthy, for apps that opt in. */
  readonly remediation: Remediation;
  private readonly startedAt: number;
  /** The evaluation running or queued last. */
  private evaluation: Promise<void> = Promise.resolve();
  /** An evaluation waiting to start: later calls join it (it will see their data), so the queue never grows. */
  private queued: Promise<void> | undefined;

  constructor(
    store: Store,
    secrets: Secrets,
    private readonly source: WatchSource,
    private readonly now: () => Date,
    log: (line: string) => void,
  ) {
    this.monitor = new Monitor(store, now, () => source.changed('routes'));
    this.alerting = new Alerting(store, secrets, now, log);
    this.uptime = new UptimeBook(store, now);
    this.remediation = new Remediation(store, now, () => source.changed('revision'), log);
    this.startedAt = now().getTime();
  }

  /**
   * Brings the monitor's checks up to the newest revision, recomputes every state, and lets
   * the alerting and the self-healing act on them. Alerting waits until every check could
   * have been probed since the start: before that, "unknown" is only a restart, and acting on
   * it would resolve alerts that still fire.
   */
  evaluate(): Promise<void> {
    if (this.queued) return this.queued;
    const run = this.evaluation.then(() => {
      this.queued = undefined;
      return this.evaluateOnce();
    });
    this.queued = run;
    this.evaluation = run.catch(() => {});
    return run;
  }

  private async evaluateOnce(): Promise<void> {
    const cur = await this.source.current();
    const checks = cur ? await cur.checks() : [];
    this.monitor.setChecks(checks, cur?.fleet.sites.length ?? 1);
    const reported = new Map((await this.source.reports()).map((r) => [r.host, r.reportedAt]));
    this.monitor.setHosts((cur?.fleet.hosts ?? []).map((h) => ({ host: h.id, site: h.site, reportedAt: reported.get(h.id) ?? null })));
    await this.monitor.evaluate();
    const status = this.monitor.status();
    await this.uptime.tick(status);
    // Hourly TLS checks would hold it for hours; an alert whose check is unknown is carried on
    // rather than resolved anyway (Alerting.evaluate).
    const warmup = Math.min(60_000, Math.max(5_000, ...checks.filter((c) => c.kind !== 'tls').map((c) => staleAfter(c))));
    if (this.now().getTime() - this.startedAt < warmup) return;
    const spec = cur?.fleet.alerting ?? NO_ALERTING;
    const planned = await this.source.maintenance();
    await this.alerting.evaluate(planned.length ? { ...spec, maintenance: [...spec.maintenance, ...planned] } : spec, status, this.monitor.sites(), this.monitor.hosts(), await this.source.backups(), await this.source.backupDisks(), await this.source.firewalls(), await this.source.standbys());
    if (cur) await this.remediation.step(cur.fleet, checks, status);
  }

  /** Sends the notifications that are due. */
  async deliverNotifications(): Promise<void> {
    await this.alerting.deliver((await this.source.current())?.fleet.alerting ?? NO_ALERTING);
  }
}
