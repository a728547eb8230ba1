/**
 * When to notify (pure): alerts are notified per group, not one by one.
 * - A new group waits `groupWait` for more alerts before its first notification, so the
 *   alerts of one fault arrive together; a group gone again within the wait is never sent.
 * - A firing group is notified again when an alert joins it (at most once per `groupWait`)
 *   and every `repeatInterval` while it fires; when its last alert ends, once as resolved.
 * - Silences get a reminder `silenceReminder` before they end.
 * Only alerts neither inhibited nor silenced count.
 */
import type { Severity } from '../fleet/schema/alerting.js';
import type { AlertingSpec } from '../fleet/schema/fleet.js';
import { atLeast, maxSeverity, type Alert, type AlertView, type Silence } from './alerts.js';

export interface GroupState {
  key: string;
  status: 'pending' | 'firing';
  /** When the group first had an alert (ms). */
  since: number;
  lastNotified: number | null;
  /** Alerts in the last notification. */
  notified: Alert[];
}

export interface Notification {
  /** Unique per notification: group (or silence), kind and time. */
  id: string;
  group: string;
  kind: 'firing' | 'resolved' | 'silence-ending' | 'migration';
  severity: Severity;
  /** The customer of a customer group, for receivers that take only some customers. */
  customer?: string;
  title: string;
  text: string;
  alerts: Alert[];
  at: string;
  /** E-mail recipients instead of the receiver's own (a customer's contacts, told of a move). */
  to?: string[];
  /** A move between sites the notification is about (kind "migration"). */
  migration?: { id: string; app: string; message: string; state: string; start: string; end: string; downtimeSeconds: number; link?: string };
}

export interface Timing {
  groupWaitMs: number;
  repeatMs: number;
}

function notification(group: string, kind: Notification['kind'], alerts: Alert[], now: number): Notification {
  const severity = maxSeverity(alerts.map((a) => a.severity));
  const customer = group.startsWith('customer:') ? group.slice('customer:'.length) : undefined;
  const what = group.replace(':', ' ');
  const title =
    kind === 'resolved'
      ? `[RESOLVED] ${what}: ${alerts.length === 1 ? alerts[0]!.summary : `${alerts.length} alerts resolved`}`
      : `[${severity.toUpperCase()}] ${what}: ${alerts.length === 1 ? alerts[0]!.summary : `${alerts.length} alerts firing`}`;
  const text = [title, ...alerts.map((a) => `- ${a.summary} (since ${a.since})`)].join('\n');
  return { id: `${group}/${kind}/${new Date(now).toISOString()}`, group, kind, severity, ...(customer ? { customer } : {}), title, text, alerts, at: new Date(now).toISOString() };
}

/** The next group states and the notifications due now. */
export function stepGroups(groups: ReadonlyMap<string, GroupState>, alerts: readonly AlertView[], now: number, t: Timing): { groups: Map<string, GroupState>; notifications: Notification[] } {
  const byGroup = new Map<string, Alert[]>();
  for (const a of alerts) {
    if (a.inhibitedBy || a.silencedBy) continue;
    const { inhibitedBy: _i, silencedBy: _s, ...alert } = a;
    byGroup.set(a.group, [...(byGroup.get(a.group) ?? []), alert]);
  }
  const next = new Map<string, GroupState>();
  const notifications: Notification[] = [];
  for (const [key, list] of byGroup) {
    const prev = groups.get(key) ?? { key, status: 'pending' as const, since: now, lastNotified: null, notified: [] };
    let state: GroupState = prev;
    if (prev.status === 'pending') {
      if (now - prev.since >= t.groupWaitMs) state = { ...prev, status: 'firing', lastNotified: now, notified: list };
    } else {
      const known = new Set(prev.notified.map((a) => a.key));
      const joined = list.some((a) => !known.has(a.key));
      const sinceLast = now - (prev.lastNotified ?? prev.since);
      if ((joined && sinceLast >= t.groupWaitMs) || sinceLast >= t.repeatMs) state = { ...prev, lastNotified: now, notified: list };
    }
    if (state.lastNotified === now) notifications.push(notification(key, 'firing', list, now));
    next.set(key, state);
  }
  for (const [key, prev] of groups) {
    if (!byGroup.has(key) && prev.status === 'firing') notifications.push(notification(key, 'resolved', prev.notified, now));
  }
  return { groups: next, notifications };
}

/** Reminders for silences that end within `reminderMs`, once each (`reminded` holds the ids already reminded). */
export function silenceReminders(silences: readonly Silence[], reminded: ReadonlySet<string>, now: number, reminderMs: number): Notification[] {
  return silences
    .filter((s) => !reminded.has(s.id) && Date.parse(s.startsAt) <= now && Date.parse(s.endsAt) > now && Date.parse(s.endsAt) - now <= reminderMs)
    .map((s) => {
      const matchers = Object.entries(s.matchers).map(([k, v]) => `${k}=${v}`).join(', ');
      const title = `[REMINDER] silence ${s.id} (${matchers}) ends at ${s.endsAt}`;
      return { id: `silence:${s.id}/silence-ending`, group: `silence:${s.id}`, kind: 'silence-ending' as const, severity: 'warning' as const, title, text: `${title}\n${s.comment} (by ${s.createdBy})`, alerts: [], at: new Date(now).toISOString() };
    });
}

/** The receivers a notification goes to: severity high enough, and the customer theirs when they take only some. */
export function receiversFor(n: Pick<Notification, 'severity' | 'customer'>, receivers: AlertingSpec['receivers']): AlertingSpec['receivers'] {
  return receivers.filter((r) => atLeast(n.severity, r.minSeverity) && (!r.customers || (n.customer !== undefined && r.customers.includes(n.customer))));
}
