/**
 * The controller's alerting: after every evaluation of the checks, the alerts (core/alerting)
 * go through their groups, and the notifications due are queued per receiver in the store's
 * outbox together with the new group states, in one transaction. A delivery loop sends what
 * is queued, with retries and backoff, and records every attempt. So a restart (or another
 * controller taking the lead) repeats no notification and loses none: what was decided is in
 * the outbox, what was sent is marked, and each attempt is claimed first (`sending`): one cut
 * short by a controller that stopped is given up (`recover`) rather than perhaps sent twice.
 */
import { backupAlerts, backupSpaceAlerts, type BackupState, type RepositoryDisk } from '../core/alerting/backups.js';
import { deriveAlerts, plannedSilences, type Alert, type AlertView } from '../core/alerting/alerts.js';
import { firewallAlerts, type HostFirewallState } from '../core/alerting/firewall.js';
import { receiversFor, silenceReminders, stepGroups, type GroupState, type Notification } from '../core/alerting/groups.js';
import type { AlertingSpec } from '../core/fleet/schema/fleet.js';
import { parseDuration } from '../core/fleet/schema/monitoring.js';
import type { CheckStatus, HostHeartbeat, SiteStatus } from '../core/monitor/status.js';
import { sendEmail } from './notifiers/email.js';
import { sendWebhook } from './notifiers/webhook.js';
import type { Secrets } from './secrets.js';
import type { NotificationRecord, Store } from './store/store.js';

/** Attempts per notification before it is given up (and stays in the record as failed). */
export const MAX_ATTEMPTS = 6;

/** Wait before attempt n+1: 2, 4, 8, 16, 32 s. */
export function backoffMs(attempts: number): number {
  return 1000 * 2 ** Math.min(attempts, 10);
}

export class Alerting {
  private groups: Map<string, GroupState> | undefined;
  private last: AlertView[] = [];
  private delivering = false;

  constructor(
    private readonly store: Store,
    private readonly secrets: Secrets,
    private readonly now: () => Date = () => new Date(),
    private readonly log: (line: string) => void = () => {},
  ) {}

  /** The alerts of the last evaluation, with what mutes them. */
  alerts(): AlertView[] {
    return this.last;
  }

  async evaluate(config: AlertingSpec, checks: readonly CheckStatus[], sites: readonly SiteStatus[], hosts: readonly HostHeartbeat[] = [], backups: readonly BackupState[] = [], disks: readonly RepositoryDisk[] = [], firewalls: readonly HostFirewallState[] = [], standbys: readonly Alert[] = []): Promise<void> {
    const now = this.now();
    const t = now.getTime();
    if (!this.groups) this.groups = new Map((await this.store.alertGroups()).map((g) => [g.key, g.state as GroupState]));
    // Planned work declared in the fleet mutes like a silence (without reminders: it is planned).
    const silences = [...(await this.store.silences({ activeAt: now.toISOString() })), ...plannedSilences(config.maintenance).map((s) => ({ ...s, reminded: true }))];
    this.last = carryUnknown(deriveAlerts(checks, sites, silences, now, hosts, [...backupAlerts(backups, now), ...backupSpaceAlerts(disks), ...firewallAlerts(firewalls), ...standbys]), this.groups, checks);
    const timing = { groupWaitMs: parseDuration(config.groupWait) ?? 10_000, repeatMs: parseDuration(config.repeatInterval) ?? 4 * 3600_000 };
    const { groups, notifications } = stepGroups(this.groups, this.last, t, timing);
    const reminders = silenceReminders(
      silences,
      new Set(silences.filter((s) => s.reminded).map((s) => s.id)),
      t,
      parseDuration(config.silenceReminder) ?? 15 * 60_000,
    );
    const changed = notifications.length > 0 || reminders.length > 0 || !sameGroups(this.groups, groups);
    if (!changed) return;
    const outbox = [...notifications, ...reminders].flatMap((n) =>
      receiversFor(n, config.receivers).map((r) => ({ id: `${n.id}@${r.id}`, receiver: r.id, group: n.group, kind: n.kind, severity: n.severity, title: n.title, body: n, createdAt: n.at, nextAttemptAt: n.at })),
    );
    await this.store.commitAlerting({ groups: [...groups.values()].map((g) => ({ key: g.key, state: g })), outbox, reminded: reminders.map((r) => r.group.slice('silence:'.length)) });
    this.groups = groups;
    for (const n of notifications) this.log(`alert ${n.kind}: ${n.title} (to ${receiversFor(n, config.receivers).map((r) => r.id).join(', ') || 'no receiver'})`);
  }

  /** Before the first delivery of a controller: attempts a stopped controller left open are given up, not repeated. */
  async recover(): Promise<void> {
    const ids = await this.store.abandonSending('the controller stopped during this attempt; it may have gone out, so it is not sent again (look at the receiver)');
    for (const id of ids) this.log(`notification ${id}: its attempt was cut short by a controller that stopped; given up rather than perhaps sent twice`);
  }

  /** Sends the notifications that are due (one pass; the controller calls it every second). */
  async deliver(config: AlertingSpec): Promise<void> {
    if (this.delivering) return;
    this.delivering = true;
    try {
      const due = await this.store.dueNotifications(this.now().toISOString(), 50);
      await Promise.all(due.map((n) => this.attempt(n, config)));
    } finally {
      this.delivering = false;
    }
  }

  private async attempt(n: NotificationRecord, config: AlertingSpec): Promise<void> {
    const receiver = config.receivers.find((r) => r.id === n.receiver);
    const attempts = n.attempts + 1;
    // Claimed first: a controller that stops while sending leaves it `sending`, and no one sends it again.
    if (!(await this.store.claimNotification(n.id))) return;
    try {
      if (!receiver) throw new Error(`receiver ${n.receiver} is no longer in the fleet`);
      const body = n.body as Notification;
      if (receiver.webhook) {
        const url = typeof receiver.webhook.url === 'string' ? receiver.webhook.url : await this.secrets.value(receiver.webhook.url.secret);
        if (!url) throw new Error(`the secret holding the webhook URL of ${receiver.id} is not set`);
        await sendWebhook(url, receiver.webhook.format, body);
      } else if (receiver.email) {
        const smtp = receiver.email.smtp;
        const password = smtp.password ? await this.secrets.value(smtp.password.secret) : undefined;
        await sendEmail({ host: smtp.host, port: smtp.port, secure: smtp.secure, ...(smtp.user ? { user: smtp.user } : {}), ...(password !== undefined ? { password } : {}) }, receiver.email.from, body.to ?? receiver.email.to, body);
      }
      const at = this.now().toISOString();
      await this.store.updateNotification(n.id, { status: 'sent', attempts, nextAttemptAt: at, sentAt: at });
    } catch (err) {
      const message = (err as Error).message;
      const retryable = receiver !== undefined && (err as { retryable?: boolean }).retryable !== false && attempts < MAX_ATTEMPTS;
      const next = new Date(this.now().getTime() + backoffMs(attempts)).toISOString();
      await this.store.updateNotification(n.id, { status: retryable ? 'pending' : 'failed', attempts, nextAttemptAt: next, lastError: message });
      this.log(`notification ${n.id}: attempt ${attempts} failed (${message})${retryable ? `; next at ${next}` : '; given up'}`);
    }
  }
}

function sameGroups(a: ReadonlyMap<string, GroupState>, b: ReadonlyMap<string, GroupState>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, g] of a) {
    const h = b.get(k);
    if (!h || h.status !== g.status || h.lastNotified !== g.lastNotified || h.since !== g.since) return false;
  }
  return true;
}

/**
 * An alert whose check went unknown (no site has a fresh view: a restart, probers away) is
 * not resolved: not knowing is not good news. It is carried on as last notified until the
 * check has a state again.
 */
export function carryUnknown(alerts: AlertView[], groups: ReadonlyMap<string, GroupState>, checks: readonly CheckStatus[]): AlertView[] {
  const unknown = new Set(checks.filter((c) => c.state === 'unknown').map((c) => `check:${c.id}`));
  const have = new Set(alerts.map((a) => a.key));
  const carried: AlertView[] = [];
  for (const g of groups.values()) {
    if (g.status !== 'firing') continue;
    for (const a of g.notified) if (unknown.has(a.key) && !have.has(a.key)) carried.push(a);
  }
  return carried.length ? [...alerts, ...carried].sort((x, y) => (x.key < y.key ? -1 : 1)) : alerts;
}
