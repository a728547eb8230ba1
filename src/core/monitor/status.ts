/** What the controller tells about checks and sites (the API's shapes, shared with the client). */
import type { Check } from './checks.js';
import type { Verdict } from './quorum.js';

export interface CheckStatus extends Verdict, Pick<Check, 'id' | 'kind' | 'title' | 'app' | 'customer' | 'critical' | 'site' | 'host'> {
  /** When the check entered its state. */
  since: string;
  /** Each site's view: up (null: not decided yet), failures in a row, when it last probed, how long that took, why it failed. */
  views: Record<string, { up: boolean | null; fails: number; at: string; ms: number; error?: string }>;
}

export interface SiteStatus {
  site: string;
  /** lost: two other sites see every check of this site down. */
  state: 'up' | 'lost';
  seenBy: string[];
  /** When this site's probers last delivered results; null: never. */
  probesAt: string | null;
  probers: 'reporting' | 'silent' | 'none';
}

/** A host as its agent's heartbeats show it (the controller's own view: agents report to it). */
export interface HostHeartbeat {
  host: string;
  site: string;
  /** down: no report for longer than four heartbeats; unknown: never reported. */
  state: 'up' | 'down' | 'unknown';
  lastReport: string | null;
}

export interface MonitorEvent {
  id: number;
  at: string;
  kind: string;
  subject: string;
  state: string;
  message: string;
  data?: unknown;
}
