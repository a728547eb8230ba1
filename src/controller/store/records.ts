/** What the store keeps: the records of revisions, tokens, users, secrets, reports, traffic, events, alerting, moves and backups (store.ts has the operations). */
import type { BackupRunBody, BackupTask, BackupTaskReport, RevisionSummary } from '../../client/client.js';
import type { Silence } from '../../core/alerting/alerts.js';
import type { MonitorEvent } from '../../core/monitor/status.js';
import type { HostReport } from '../../core/report/host-report.js';
import type { UptimeDay } from '../../core/monitor/uptime.js';
import type { Placement } from '../../core/placement/types.js';
import type { MoveEvent, MoveRecord } from '../../core/move/consent.js';
import type { Rollout } from '../../core/plan/rollout.js';

export type Role = 'admin' | 'operator' | 'viewer';

export interface RevisionInput {
  /** The head the caller planned against (null for the first revision): the revision check. */
  parent: number | null;
  /** The fleet documents as data, exactly as applied. */
  fleet: unknown;
  placements: Placement[];
  /** What changed against the parent (apps added/changed/moved/removed per host). */
  diff: unknown;
  author: string;
  message?: string;
  /** ISO 8601 time of the apply. */
  createdAt: string;
  /** The IPAM allocation record the revision's addresses come from (the next revision keeps them). */
  allocations?: unknown;
  /** When given, the holds after this revision, replacing all (an apply to every host gives none). */
  holds?: readonly HostHold[];
  /** A staged rollout of this revision (its `revision` is the new number), stored with it. */
  rollout?: Rollout;
  /** Files of the compose projects it ships, by sha256: stored once, kept with the revisions that name them. */
  blobs?: readonly Blob[];
}

/** A file's content by its sha256 (compose project files): the same content is stored once. */
export interface Blob {
  digest: string;
  /** The content, base64. */
  content: string;
}

/** A host that keeps the desired state of an earlier revision: a staged rollout has not reached it, or sent it back. */
export interface HostHold {
  host: string;
  /** The revision whose state it keeps (0: no units, no firewall). */
  revision: number;
  since: string;
}

/** A revision's number, parent, author, message and time: the API's shape (client.ts), stored as it is. */
export type { RevisionSummary };

export interface Revision extends RevisionSummary {
  fleet: unknown;
  placements: Placement[];
  diff: unknown;
  /** Its IPAM allocation record (revisions stored before hafen kept one have none). */
  allocations?: unknown;
}

export interface JoinToken {
  /** Hash of the one-time token (the token itself is shown once and never stored). */
  hash: string;
  host: string;
  expiresAt: string;
}

/** One entry of the audit history, as stored and as the API shows it (client/access-types.ts). */
export type { AuditEntry } from '../../client/access-types.js';
import type { AuditFilter } from '../../client/access-types.js';

export type AuditQuery = AuditFilter;
export type { AuditFilter } from '../../client/access-types.js';

export interface ApiToken {
  id: string;
  name: string;
  role: Role;
  hash: string;
  createdAt: string;
  revokedAt?: string;
  /** Scoped to this customer: the token reads only the customer's apps, uptime and moves. */
  customer?: string;
  /** A login session's end (tokens an admin creates do not expire). */
  expiresAt?: string;
}

/** Someone who logs in with a password (for a session token) instead of holding an API token. */
export interface User {
  name: string;
  role: Role;
  customer?: string;
  /** scrypt$N$r$p$salt$hash (lib/password.ts); never leaves the controller. */
  passwordHash: string;
  createdAt: string;
  updatedAt: string;
}

export interface HostStatus {
  host: string;
  /** What the agent reported (units, health, firewall, moves), as the API validated it. */
  status: HostReport;
  reportedAt: string;
}

export interface SecretInput {
  name: string;
  /** Fingerprint of the key that sealed the value. */
  keyId: string;
  /** The encrypted value (lib/seal.ts); the store never sees the plaintext. */
  sealed: string;
  updatedAt: string;
  updatedBy: string;
}

export interface SecretInfo {
  name: string;
  /** Grows by one with every set, also across a delete and a new set: a version is never reused. */
  version: number;
  keyId: string;
  updatedAt: string;
  updatedBy: string;
}

export interface SecretRecord extends SecretInfo {
  sealed: string;
}

/** Requests through the edge proxies of one site for one app in one minute (as proxies report them). */
export interface TrafficSample {
  app: string;
  site: string;
  /** Start of the minute, ISO 8601 UTC ("2026-11-26T10:05:00.000Z"). */
  minute: string;
  requests: number;
  /** Answers with status 5xx or none at all. */
  errors: number;
}

/** One proxy's most concurrent client connections in one minute. */
export interface ConnectionSample {
  site: string;
  proxy: string;
  minute: string;
  peak: number;
}

/**
 * The traffic history keeps three resolutions, written together as samples arrive: per minute
 * for 2 days, per hour for 90 days, per day for ever.
 */
export const TRAFFIC_RESOLUTIONS = ['minute', 'hour', 'day'] as const;
export type TrafficResolution = (typeof TRAFFIC_RESOLUTIONS)[number];
export const TRAFFIC_KEEP_MS: Record<TrafficResolution, number> = { minute: 2 * 86_400_000, hour: 90 * 86_400_000, day: Number.POSITIVE_INFINITY };

export interface TrafficRow {
  app: string;
  site: string;
  /** Start of the minute, hour or day (UTC). */
  at: string;
  requests: number;
  errors: number;
}

export interface ConnectionRow {
  site: string;
  proxy: string;
  at: string;
  peak: number;
}

/** Something that happened, for people and the alerting: a check changed state, a site was lost (core/monitor/status.ts). */
export type EventRecord = MonitorEvent;

/** A silence as stored; `reminded` once its end-reminder went out. */
export type SilenceRecord = Silence & { reminded: boolean };

/** A notification to one receiver, kept from the moment it is decided until it is delivered or given up. */
export interface NotificationRecord {
  /** The notification's id and the receiver: "customer:huber/firing/2026-…@ops-mail". */
  id: string;
  receiver: string;
  group: string;
  kind: string;
  severity: string;
  title: string;
  /** The whole notification as sent to the notifier (JSON). */
  body: unknown;
  createdAt: string;
  /** `sending` from its claim until the attempt's outcome is stored. */
  status: 'pending' | 'sending' | 'sent' | 'failed';
  attempts: number;
  nextAttemptAt: string;
  lastError?: string;
  sentAt?: string;
}

/** What one round of alerting decided, stored at once: group states, notifications to send, silences reminded. */
export interface AlertingCommit {
  groups: { key: string; state: unknown }[];
  outbox: Omit<NotificationRecord, 'status' | 'attempts' | 'lastError' | 'sentAt'>[];
  reminded: string[];
}

/** Site migrations (moves between sites) new or changed, what happened to them, and what to tell the customers, stored at once. */
export interface MoveCommit {
  /** `tokenHash`: the customer's consent link, hashed (set once, when the move is proposed). */
  records: { record: MoveRecord; tokenHash?: string }[];
  events: MoveEvent[];
  outbox: AlertingCommit['outbox'];
}

/** Seconds an app was up, down and unknown on one day (UTC). */
export type UptimeRecord = UptimeDay;

export type { BackupTask, BackupTaskReport, Rollout };

/** A backup run as stored: what the agent reported, and which host reported it. */
export type StoredBackupRun = BackupRunBody & { host: string };
