/**
 * Typed HTTP client of the controller API, used by the CLI, the agents and (later) the proxy
 * and dashboard. Errors come back as HafenError with the controller's code; a controller that
 * cannot be reached is HAFEN_CLIENT_UNREACHABLE (retryable).
 */
import type { Destroy } from '../core/plan/destroy.js';
import type { StandbyRecord } from '../core/standby/roles.js';
import type { StandbyAppView } from '../core/standby/view.js';
import type { Problem } from '../core/fleet/problems.js';
import type { FleetSource } from '../core/fleet/source.js';
import type { AllocationRecord } from '../core/ipam/record.js';
import type { RevisionDiff } from '../core/plan/diff.js';
import type { Rollout } from '../core/plan/rollout.js';
import type { Placement, Unplaced } from '../core/placement/types.js';
import type { HostDesiredState } from '../core/render/desired.js';
import type { AgentReport, FirewallReport, UnitReport } from '../core/report/host-report.js';
import type { BackupTaskKind } from '../core/render/backups.js';
import type { Decision, MoveEvent, MoveProposal, MoveProposeRequest, MoveRecord } from './move-types.js';
import type { BackupPlanResponse, BackupRunBody, BackupsResponse, BackupTask, BackupTaskOptions, BackupTaskReport } from './backup-types.js';
import type { Probe } from '../core/monitor/checks.js';
import type { CheckStatus, HostHeartbeat, MonitorEvent, SiteStatus } from '../core/monitor/status.js';
import type { AlertView, Silence } from '../core/alerting/alerts.js';
import type { TrafficReport } from '../core/traffic/report.js';
import type { Availability } from '../core/monitor/uptime.js';
import type { RouteTable } from '../core/render/routes.js';
import type { RiskReport, Violation } from '../core/risk/scenarios.js';
import type { CapacityReport } from '../core/placement/capacity.js';
import type { SiteReport } from '../core/render/site-report.js';
import type { AuditEntry, AuditFilter, Caller, Role, UserListing } from './access-types.js';
import { HafenError } from '../lib/errors.js';
import { Controllers, type TransportOptions } from './controllers.js';

export type * from './backup-types.js';
export type * from './move-types.js';
export type { Rollout };

export interface PlanResponse {
  parent: number | null;
  placements: Placement[];
  unplaced: Unplaced[];
  violations: Violation[];
  diff: RevisionDiff;
  /** What applying it takes away: hosts removed, replicas stopped that run nowhere else. */
  destroy: Destroy;
  /** With a site: hosts at other sites whose state changes too (they keep theirs until rolled out). */
  held?: string[];
  /** With a site: the stages the rollout would take (stage 0 is the canary). */
  stages?: string[][];
}

export interface ApplyResponse extends PlanResponse {
  revision: number;
  /** With a site: the staged rollout started (none when nothing at the site changes). */
  rollout?: Rollout;
}

/** The compose project directories a fleet names, by key, every file with its content (base64), as a plan or apply sends them. */
export type ProjectsPayload = Record<string, { files: { path: string; mode: number; content: string }[] }>;

/** What else goes with a plan or apply: the fleet's ipam.lock, its compose projects, and a staged rollout's site (hafen apply --site). */
export interface ApplyOptions {
  allocations?: AllocationRecord;
  projects?: ProjectsPayload;
  site?: string;
  batch?: number;
  gateTimeoutSeconds?: number;
  /** Apply although it removes every host or stops more than a quarter of the running replicas. */
  allowDestroy?: boolean;
}

export interface DesiredResponse {
  hash: string;
  revision: number;
  changed: boolean;
  state: HostDesiredState;
}

/** A unit as its host's agent reports it (core/report/host-report.ts). */
export type { UnitReport } from '../core/report/host-report.js';

export interface StatusResponse {
  revision: number | null;
  /** down: lost (two other sites see every check of it down); degraded: a host silent, a replica down or its probers silent. */
  sites: { site: string; name: string; country: string; provider: string; facility: string; witness: boolean; state: 'up' | 'degraded' | 'down'; seenDownBy: string[]; hosts: number; hostsUp: number; replicasDown: number; probers: 'reporting' | 'silent' | 'none' }[];
  apps: {
    app: string;
    customer: string;
    critical: boolean;
    domains: string[];
    desired: number;
    running: number;
    /** role: a standby app's unit, its writer (active) or a standby. */
    units: { unit: string; host: string; site: string; state: string; role?: 'active' | 'standby'; healthy?: boolean; check: string; hostUp: boolean; restarts: number; lastError?: string }[];
    /** A standby app: its term, writer, and how fresh each standby's copy is (its RPO now). */
    standby?: Omit<StandbyAppView, 'app' | 'customer' | 'critical' | 'active'> & { active: string | null; /** A PostgreSQL app's writer: where clients connect (address:port). */ writerAddress?: string };
  }[];
  hosts: { host: string; site: string; state: 'up' | 'down' | 'unknown'; lastReport: string | null; ageSeconds: number | null; desiredHash: string | null; appliedHash: string | null; appliedAt: string | null; current: boolean; heldAt: number | null; firewall: { desiredHash: string | null; reported: FirewallReportBody | null } }[];
  /** Each edge proxy's view of the replicas. */
  proxies: { host: string; site: string; revision: number; reportedAt: string; ageSeconds: number; replicas: ProxyReplicaView[] }[];
}

export interface ProxyReplicaView {
  id: string;
  site: string;
  host: string;
  up: boolean;
  ejected: boolean;
  inflight: number;
}

export interface RoutesResponse {
  hash: string;
  changed: boolean;
  /** The site of the calling proxy's host. */
  site: string | null;
  table: RouteTable;
}

export interface ProbesResponse {
  /** The site of the calling prober's host: where its results count from. */
  site: string;
  hash: string;
  changed: boolean;
  probes: Probe[];
}

/** What an agent with --firewall reports of the newest ruleset it was given (agent/firewall.ts). */
export type FirewallReportBody = FirewallReport;

export interface ProbeResultBody {
  check: string;
  ok: boolean;
  at: string;
  ms: number;
  error?: string;
}

export interface UptimeReport {
  from: string;
  to: string;
  apps: (Availability & { app: string; customer: string; days: { day: string; upSeconds: number; downSeconds: number; unknownSeconds: number }[] })[];
  customers: (Availability & { customer: string; apps: number })[];
}

export interface RevisionSummary {
  number: number;
  parent: number | null;
  author: string;
  message?: string;
  createdAt: string;
}

export interface SecretListing {
  name: string;
  version: number;
  keyId: string;
  updatedAt: string;
  updatedBy: string;
  /** Apps of the newest revision that use it. */
  usedBy: string[];
}

export type { Caller, Role, UserListing };

export class HafenClient {
  private readonly transport: Controllers;

  /** `controllers`: one URL, or several comma-separated (tried in order, the one that answers kept); `options.ca`: the CA of https controllers' certificates. */
  constructor(controllers: string, token?: string, options: TransportOptions = {}) {
    this.transport = new Controllers(controllers, token, options);
  }

  /** The controllers to try, in order. */
  get urls(): readonly string[] {
    return this.transport.urls;
  }

  /** The controller in use: the one that answered last. */
  get baseUrl(): string {
    return this.transport.baseUrl;
  }

  /** The CA an https controller's certificate must chain to, when not the system's (for requests made beside the client). */
  get ca(): string | undefined {
    return this.transport.ca;
  }

  private call<T>(method: string, path: string, body?: unknown, timeoutMs = 30_000): Promise<T> {
    return this.transport.call<T>(method, path, body, timeoutMs);
  }

  health(): Promise<{ ok: boolean; revision: number | null }> {
    return this.call('GET', '/healthz', undefined, 5000);
  }
  plan(sources: FleetSource[], opts: Pick<ApplyOptions, 'site' | 'allocations' | 'projects'> = {}): Promise<PlanResponse> {
    return this.call('POST', '/v1/plan', { sources, ...opts });
  }
  apply(sources: FleetSource[], parent: number | null, message?: string, opts: ApplyOptions = {}): Promise<ApplyResponse> {
    return this.call('POST', '/v1/apply', { sources, parent, ...(message ? { message } : {}), ...opts });
  }
  reapplyFirewall(host: string): Promise<{ host: string; hash: string; generation: number }> {
    return this.call('POST', `/v1/hosts/${encodeURIComponent(host)}/firewall/reapply`, {});
  }
  rollouts(limit = 20): Promise<{ rollouts: Rollout[] }> {
    return this.call('GET', `/v1/rollouts?limit=${limit}`);
  }
  rollout(id: number): Promise<Rollout> {
    return this.call('GET', `/v1/rollouts/${id}`);
  }
  abortRollout(id: number): Promise<Rollout> {
    return this.call('POST', `/v1/rollouts/${id}/abort`, {});
  }
  proposeMoves(req: MoveProposeRequest): Promise<MoveProposal> {
    return this.call('POST', '/v1/migrations', req, 120_000);
  }
  moves(q: { open?: boolean; limit?: number } = {}): Promise<{ migrations: MoveRecord[] }> {
    return this.call('GET', `/v1/migrations?limit=${q.limit ?? 200}${q.open ? '&open=1' : ''}`);
  }
  /** Standby apps: term, writer and each standby's copy. */
  standbys(): Promise<{ standbys: StandbyAppView[] }> {
    return this.call('GET', '/v1/standbys');
  }
  /** Starts a switchover of a standby app to its standby at `to` (hafen failover). */
  failover(app: string, to: string): Promise<{ switchover: StandbyRecord }> {
    return this.call('POST', `/v1/apps/${encodeURIComponent(app)}/failover`, { to });
  }
  move(id: string): Promise<{ migration: MoveRecord; events: MoveEvent[] }> {
    return this.call('GET', `/v1/migrations/${encodeURIComponent(id)}`);
  }
  answerMove(id: string, answer: { decision: Decision; by: string; note?: string }): Promise<{ migration: MoveRecord }> {
    return this.call('POST', `/v1/migrations/${encodeURIComponent(id)}/consent`, answer);
  }
  cancelMove(id: string): Promise<{ migration: MoveRecord }> {
    return this.call('POST', `/v1/migrations/${encodeURIComponent(id)}/cancel`, {});
  }
  controlMove(id: string, action: 'pause' | 'resume' | 'abort'): Promise<{ migration: MoveRecord }> {
    return this.call('POST', `/v1/migrations/${encodeURIComponent(id)}/${action}`, {});
  }
  rollback(to: number, opts: { allowDestroy?: boolean } = {}): Promise<ApplyResponse> {
    return this.call('POST', '/v1/rollback', { to, ...(opts.allowDestroy ? { allowDestroy: true } : {}) });
  }
  revisions(): Promise<{ revisions: RevisionSummary[] }> {
    return this.call('GET', '/v1/revisions');
  }
  status(): Promise<StatusResponse> {
    return this.call('GET', '/v1/status');
  }
  /** `rejoin`: the host has joined before (an admin's token; redeeming it replaces the host's credential). */
  joinToken(host: string): Promise<{ host: string; token: string; expiresAt: string; rejoin?: boolean }> {
    return this.call('POST', `/v1/hosts/${encodeURIComponent(host)}/join-token`, {});
  }
  join(token: string): Promise<{ host: string; credential: string }> {
    return this.call('POST', '/v1/agent/join', { token });
  }
  /** Long-polls for the host's desired state: returns at once if it differs from `after`. */
  desired(after: string | undefined, waitSeconds: number): Promise<DesiredResponse> {
    const q = new URLSearchParams({ wait: String(waitSeconds), ...(after ? { after } : {}) });
    return this.call('GET', `/v1/agent/desired?${q}`, undefined, (waitSeconds + 10) * 1000);
  }
  /** A file of a compose project the host's units run, by sha256 (content base64). */
  agentBlob(digest: string): Promise<{ digest: string; content: string }> {
    return this.call('GET', `/v1/agent/blobs/${encodeURIComponent(digest)}`);
  }
  reportStatus(units: UnitReport[], appliedHash: string | undefined, agent: AgentReport & { driver: string }): Promise<void> {
    return this.call('POST', '/v1/agent/status', { units, ...(appliedHash ? { appliedHash } : {}), agent });
  }
  /** Long-polls for the edge route table: returns at once if it differs from `after`. */
  proxyRoutes(after: string | undefined, waitSeconds: number): Promise<RoutesResponse> {
    const q = new URLSearchParams({ wait: String(waitSeconds), ...(after ? { after } : {}) });
    return this.call('GET', `/v1/proxy/routes?${q}`, undefined, (waitSeconds + 10) * 1000);
  }
  /** Long-polls for the probes of this host's site: returns at once if they differ from `after`. */
  probes(after: string | undefined, waitSeconds: number): Promise<ProbesResponse> {
    const q = new URLSearchParams({ wait: String(waitSeconds), ...(after ? { after } : {}) });
    return this.call('GET', `/v1/probe/checks?${q}`, undefined, (waitSeconds + 10) * 1000);
  }
  /** The agent's backup runs (see agent/backup/journal.ts for the shape). */
  reportBackups(runs: BackupRunBody[]): Promise<void> {
    return this.call('POST', '/v1/agent/backups', { runs });
  }

  backups(q: { app?: string; limit?: number } = {}): Promise<BackupsResponse> {
    const qs = new URLSearchParams(Object.entries(q).filter((e) => e[1] !== undefined).map(([k, v]): [string, string] => [k, String(v)]));
    return this.call('GET', `/v1/backups${qs.size ? `?${qs}` : ''}`);
  }

  /** Asks the agent of the app's job host for a backup task (202: pending until that agent takes it up). */
  askBackupTask(app: string, kind: BackupTaskKind, opts: BackupTaskOptions = {}): Promise<BackupTask> {
    return this.call('POST', `/v1/backups/${encodeURIComponent(app)}/tasks`, { kind, ...opts });
  }
  backupPlan(app?: string): Promise<BackupPlanResponse> {
    return this.call('GET', `/v1/backups/plan${app ? `?app=${encodeURIComponent(app)}` : ''}`);
  }
  backupTask(id: string): Promise<BackupTask> {
    return this.call('GET', `/v1/backups/tasks/${encodeURIComponent(id)}`);
  }
  backupTasks(q: { app?: string; kind?: BackupTaskKind; limit?: number } = {}): Promise<{ tasks: BackupTask[] }> {
    const qs = new URLSearchParams(Object.entries(q).filter((e) => e[1] !== undefined).map(([k, v]): [string, string] => [k, String(v)]));
    return this.call('GET', `/v1/backups/tasks${qs.size ? `?${qs}` : ''}`);
  }
  /** The agent's reports of its backup tasks. */
  reportBackupTasks(tasks: BackupTaskReport[]): Promise<void> {
    return this.call('POST', '/v1/agent/backup-tasks', { tasks });
  }

  /** Delivers results; those dated more than 60 s from the controller's clock, or of checks its site does not probe, are left out (counted in the answer). */
  reportProbeResults(results: ProbeResultBody[]): Promise<{ recorded: number; outOfTime: number; notAssigned: number }> {
    return this.call('POST', '/v1/probe/results', { results });
  }
  /** Every check's state by quorum of the sites, and each site's state. */
  checks(filter: { state?: string; app?: string; customer?: string } = {}): Promise<{ checks: CheckStatus[]; sites: SiteStatus[]; hosts: HostHeartbeat[] }> {
    const q = new URLSearchParams(Object.entries(filter).filter((e): e is [string, string] => e[1] !== undefined));
    return this.call('GET', `/v1/checks${q.size ? `?${q}` : ''}`);
  }
  uptime(q: { from?: string; to?: string; days?: number; app?: string; customer?: string } = {}): Promise<UptimeReport> {
    const p = new URLSearchParams(Object.entries(q).filter((e) => e[1] !== undefined).map(([k, v]): [string, string] => [k, String(v)]));
    return this.call('GET', `/v1/uptime${p.size ? `?${p}` : ''}`);
  }
  alerts(): Promise<{ alerts: AlertView[] }> {
    return this.call('GET', '/v1/alerts');
  }
  silences(all = false): Promise<{ silences: (Silence & { reminded: boolean })[] }> {
    return this.call('GET', `/v1/silences${all ? '?all=true' : ''}`);
  }
  silence(s: { matchers: Silence['matchers']; comment: string; duration?: string; endsAt?: string; startsAt?: string }): Promise<Silence> {
    return this.call('POST', '/v1/silences', s);
  }
  endSilence(id: string): Promise<{ ended: string }> {
    return this.call('DELETE', `/v1/silences/${encodeURIComponent(id)}`);
  }
  notifications(limit = 100): Promise<{ notifications: { id: string; receiver: string; group: string; kind: string; severity: string; title: string; createdAt: string; status: string; attempts: number; lastError?: string; sentAt?: string }[] }> {
    return this.call('GET', `/v1/notifications?limit=${limit}`);
  }
  /** Events, newest first. */
  audit(filter: AuditFilter = {}): Promise<{ entries: AuditEntry[] }> {
    const q = new URLSearchParams(Object.entries(filter).filter((e) => e[1] !== undefined).map(([k, v]): [string, string] => [k, String(v)]));
    return this.call('GET', `/v1/audit${q.size ? `?${q}` : ''}`);
  }
  events(filter: { since?: string; kind?: string; subject?: string; limit?: number } = {}): Promise<{ events: MonitorEvent[] }> {
    const q = new URLSearchParams(Object.entries(filter).filter((e) => e[1] !== undefined).map(([k, v]): [string, string] => [k, String(v)]));
    return this.call('GET', `/v1/events${q.size ? `?${q}` : ''}`);
  }
  reportProxyStatus(status: { site: string; listen?: string; tlsListen?: string; revision: number; replicas: ProxyReplicaView[]; traffic?: { app: string; minute: string; requests: number; errors: number }[]; connections?: { minute: string; peak: number }[] }): Promise<void> {
    return this.call('POST', '/v1/proxy/status', status);
  }
  createToken(name: string, role: Role, customer?: string): Promise<{ id: string; name: string; role: string; customer?: string; token: string }> {
    return this.call('POST', '/v1/tokens', { name, role, ...(customer !== undefined ? { customer } : {}) });
  }
  whoami(): Promise<Caller> {
    return this.call('GET', '/v1/whoami');
  }
  login(name: string, password: string): Promise<Caller & { token: string; expiresAt: string }> {
    return this.call('POST', '/v1/login', { name, password });
  }
  logout(): Promise<{ ended: boolean }> {
    return this.call('POST', '/v1/logout', {});
  }
  users(): Promise<{ users: UserListing[] }> {
    return this.call('GET', '/v1/users');
  }
  setUser(name: string, user: { role: Role; customer?: string; password: string }): Promise<UserListing> {
    return this.call('PUT', `/v1/users/${encodeURIComponent(name)}`, user);
  }
  deleteUser(name: string): Promise<{ deleted: string }> {
    return this.call('DELETE', `/v1/users/${encodeURIComponent(name)}`);
  }
  capacity(): Promise<CapacityReport & { revision: number }> {
    return this.call('GET', '/v1/capacity');
  }
  risk(): Promise<RiskReport & { revision: number; limit: number }> {
    return this.call('GET', '/v1/risk');
  }
  site(id: string): Promise<SiteReport & { revision: number }> {
    return this.call('GET', `/v1/sites/${encodeURIComponent(id)}`);
  }
  tokens(): Promise<{ tokens: { id: string; name: string; role: string; customer?: string; expiresAt?: string; createdAt: string; revokedAt?: string }[] }> {
    return this.call('GET', '/v1/tokens');
  }
  revokeToken(id: string): Promise<{ revoked: string }> {
    return this.call('DELETE', `/v1/tokens/${encodeURIComponent(id)}`);
  }
  /** Requests per app, site and hour through the edge proxies, from `since` on. */
  traffic(since: string, app?: string, resolution: 'minute' | 'hour' | 'day' = 'hour'): Promise<{ resolution: string; traffic: { app: string; site: string; at: string; requests: number; errors: number }[] }> {
    return this.call('GET', `/v1/traffic?${new URLSearchParams({ since, resolution, ...(app ? { app } : {}) })}`);
  }
  trafficReport(q: { days?: number; app?: string; customer?: string } = {}): Promise<TrafficReport & { app?: string; customer?: string }> {
    const p = new URLSearchParams(Object.entries(q).filter((e) => e[1] !== undefined).map(([k, v]): [string, string] => [k, String(v)]));
    return this.call('GET', `/v1/traffic/report${p.size ? `?${p}` : ''}`);
  }
  secrets(): Promise<{ secrets: SecretListing[] }> {
    return this.call('GET', '/v1/secrets');
  }
  setSecret(name: string, value: string): Promise<SecretListing> {
    return this.call('PUT', `/v1/secrets/${encodeURIComponent(name)}`, { value });
  }
  deleteSecret(name: string): Promise<{ deleted: string }> {
    return this.call('DELETE', `/v1/secrets/${encodeURIComponent(name)}`);
  }
}

/** The problems of an invalid fleet, when an error carries them. */
export function problemsOf(err: unknown): Problem[] | undefined {
  return err instanceof HafenError && err.code === 'HAFEN_FLEET_INVALID' ? (err.details as Problem[]) : undefined;
}
