/** GET /openapi.json: the API described from the same zod schemas that validate requests. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ApplyBody, ConsentLinkBody, FailoverBody, MoveConsentBody, MoveProposeBody, JoinBody, PlanBody, ProxyStatusBody, BackupRunsBody, BackupTaskBody, BackupTaskReportsBody, RollbackBody, SecretBody, StatusBody, TokenBody, ProbeResultsBody, SilenceBody, LoginBody, UserBody } from './schemas.js';

type Auth = 'reader' | 'viewer' | 'operator' | 'admin' | 'host' | 'none';

interface Op {
  method: 'get' | 'post' | 'put' | 'delete';
  path: string;
  summary: string;
  auth: Auth;
  body?: z.ZodType;
  params?: string[];
  query?: Record<string, string>;
}

const OPS: Op[] = [
  { method: 'get', path: '/healthz', summary: 'Liveness, the newest revision, and this controller\'s role (leader with its term, or follower with the leader\'s URL)', auth: 'none' },
  { method: 'post', path: '/v1/plan', summary: 'Validate and plan a fleet against the newest revision; changes nothing', auth: 'operator', body: PlanBody },
  { method: 'post', path: '/v1/apply', summary: 'Store a fleet as a new revision (409 when the parent is not the newest)', auth: 'operator', body: ApplyBody },
  { method: 'post', path: '/v1/rollback', summary: 'Apply the fleet of an earlier revision as a new revision', auth: 'operator', body: RollbackBody },
  { method: 'post', path: '/v1/hosts/{host}/firewall/reapply', summary: 'Have the host\'s agent apply its firewall again (a drifted table, or a ruleset it rolled back), with commit-confirm', auth: 'operator', params: ['host'] },
  { method: 'get', path: '/v1/rollouts', summary: 'Staged rollouts, newest first: stages, each host\'s gate, how it ended', auth: 'viewer', query: { limit: 'at most this many (default 20)' } },
  { method: 'get', path: '/v1/rollouts/{id}', summary: 'One staged rollout', auth: 'viewer', params: ['id'] },
  { method: 'post', path: '/v1/rollouts/{id}/abort', summary: 'Stop a running rollout; the hosts it changed go back to their earlier revision', auth: 'operator', params: ['id'] },
  { method: 'post', path: '/v1/migrations', summary: 'Plan moves to a site on the newest revision and propose each to its customer (201); 409 while earlier moves are open', auth: 'operator', body: MoveProposeBody },
  { method: 'get', path: '/v1/migrations', summary: 'Moves between sites with their consent, newest first', auth: 'reader', query: { open: '1: only proposed or accepted', limit: 'at most this many (default 200)' } },
  { method: 'get', path: '/v1/migrations/{id}', summary: 'One move and everything that happened to it', auth: 'reader', params: ['id'] },
  { method: 'post', path: '/v1/migrations/{id}/consent', summary: "Record the customer's answer given another way (phone, mail)", auth: 'operator', params: ['id'], body: MoveConsentBody },
  { method: 'post', path: '/v1/migrations/{id}/cancel', summary: 'Cancel a move that has not started; the customer is told', auth: 'operator', params: ['id'] },
  { method: 'post', path: '/v1/migrations/{id}/pause', summary: 'Hold a running move where it is (its weights stay)', auth: 'operator', params: ['id'] },
  { method: 'post', path: '/v1/migrations/{id}/resume', summary: 'Carry on with a paused move', auth: 'operator', params: ['id'] },
  { method: 'post', path: '/v1/migrations/{id}/abort', summary: 'Stop a running move: traffic goes back to the source, the target goes', auth: 'operator', params: ['id'] },
  { method: 'get', path: '/v1/standbys', summary: "Standby apps: each one's term and writer, and how fresh each standby's copy is (its lag: the RPO now)", auth: 'reader' },
  { method: 'post', path: '/v1/apps/{app}/failover', summary: "Switch a standby app over to its standby at a site (202): the writer stops, a final copy, the standby writes; given up on failure", auth: 'operator', params: ['app'], body: FailoverBody },
  { method: 'get', path: '/v1/consent/{token}', summary: "The customer's page of a proposed move (HTML for a browser, JSON otherwise)", auth: 'none', params: ['token'] },
  { method: 'post', path: '/v1/consent/{token}', summary: 'The customer answers: accept, decline or ask for another window (JSON or a form)', auth: 'none', params: ['token'], body: ConsentLinkBody },
  { method: 'get', path: '/v1/revisions', summary: 'Revision history, newest first (who, when, why)', auth: 'viewer' },
  { method: 'get', path: '/v1/revisions/{number}', summary: 'One revision with its fleet, placements and diff', auth: 'viewer', params: ['number'] },
  { method: 'get', path: '/v1/status', summary: 'Desired against running replicas per app; heartbeats per host', auth: 'reader' },
  { method: 'post', path: '/v1/hosts/{host}/join-token', summary: 'One-time join token for the agent of a host (valid 24 h)', auth: 'operator', params: ['host'] },
  { method: 'post', path: '/v1/agent/join', summary: 'Exchange a join token for the host credential', auth: 'none', body: JoinBody },
  { method: 'get', path: '/v1/agent/desired', summary: "The calling host's desired state; long-polls up to `wait` seconds while it equals `after`", auth: 'host', query: { after: 'hash the agent has', wait: 'seconds to wait for a change (max 30)' } },
  { method: 'get', path: '/v1/agent/blobs/{digest}', summary: "A file of a compose project the calling host's units run, by sha256 (content base64)", auth: 'host', params: ['digest'] },
  { method: 'post', path: '/v1/agent/status', summary: 'Report unit states and health', auth: 'host', body: StatusBody },
  { method: 'post', path: '/v1/agent/backups', summary: 'Report backup runs (a run sent twice is stored once)', auth: 'host', body: BackupRunsBody },
  { method: 'post', path: '/v1/agent/backup-tasks', summary: 'Report backup tasks: asked ones taken up or finished, scheduled drills and checks', auth: 'host', body: BackupTaskReportsBody },
  { method: 'get', path: '/v1/backups', summary: 'Per app with a backup policy: host, schedule, repository, last run, last success, when the next is due, newest drill and check; runs newest first; the backup hosts\' repository disks (size, free)', auth: 'viewer', query: { app: 'only this app', limit: '1 to 10000 runs (default 100)' } },
  { method: 'post', path: '/v1/backups/{app}/tasks', summary: 'Ask the agent of the app\'s backup host for a task: run, restore (into scratch space), drill or check (202; follow it by its id)', auth: 'operator', params: ['app'], body: BackupTaskBody },
  { method: 'get', path: '/v1/backups/plan', summary: 'Retention ahead (what each keep policy keeps today and in 30, 90, 365 days) and an estimate of each repository and backup host\'s space', auth: 'viewer', query: { app: 'only this app' } },
  { method: 'get', path: '/v1/backups/tasks', summary: 'Backup tasks, newest first, asked and scheduled', auth: 'viewer', query: { app: 'only this app', kind: 'run, restore, drill or check', limit: '1 to 10000 (default 100)' } },
  { method: 'get', path: '/v1/backups/tasks/{id}', summary: 'One backup task: pending, running, done (with its result), failed (with why) or expired', auth: 'viewer', params: ['id'] },
  { method: 'get', path: '/v1/proxy/routes', summary: 'The edge route table; long-polls up to `wait` seconds while its hash equals `after`', auth: 'host', query: { after: 'hash the proxy has', wait: 'seconds to wait for a change (max 30)' } },
  { method: 'post', path: '/v1/proxy/status', summary: 'Report replica health as the calling proxy sees it, and the requests it counted', auth: 'host', body: ProxyStatusBody },
  { method: 'get', path: '/v1/traffic', summary: 'Requests per app and site through the edge proxies: per minute (2 days kept), hour (90 days) or day (for ever)', auth: 'reader', query: { since: 'ISO 8601 time (default: 24 hours ago)', resolution: 'minute, hour (default) or day', app: 'only this app', customer: 'only this customer\'s apps' } },
  { method: 'get', path: '/v1/traffic/report', summary: 'Requests per day over a period, the average day of the week, and the peak concurrent connections per day', auth: 'reader', query: { days: 'how many days up to today (default 30)', app: 'only this app', customer: 'only this customer\'s apps' } },
  { method: 'get', path: '/v1/probe/checks', summary: 'The probes of the calling prober\'s site; long-polls up to `wait` seconds while their hash equals `after`', auth: 'host', query: { after: 'hash the prober has', wait: 'seconds to wait for a change (max 30)' } },
  { method: 'post', path: '/v1/probe/results', summary: 'Deliver probe results; they count for the site of the calling host, only for checks assigned to that site (others are ignored and counted), and only dated within 60 s of the controller\'s clock (the others are left out and counted in the answer)', auth: 'host', body: ProbeResultsBody },
  { method: 'get', path: '/v1/checks', summary: 'Every check with its state by quorum of the sites and each site\'s view; each site\'s state', auth: 'reader', query: { state: 'only checks in this state (up, degraded, down, unknown)', app: 'only this app', customer: 'only this customer' } },
  { method: 'get', path: '/v1/audit', summary: 'The audit history, newest first: who did what when (applies, rollbacks, rollouts aborted, tokens, users, logins, join tokens and joins, secrets set or deleted (never values), silences, switchovers, backup tasks, moves and consent answers); a customer-scoped token sees its customer\'s entries only', auth: 'reader', query: { since: 'ISO 8601 time', until: 'ISO 8601 time (exclusive)', actor: 'who', action: 'an action, or a prefix ending in "." (token.)', subject: 'what it was done to', customer: 'only this customer\'s entries', limit: '1 to 10000 (default 100)' } },
  { method: 'get', path: '/v1/events', summary: 'Events (check state changes, sites lost and back, probers silent), newest first', auth: 'viewer', query: { since: 'ISO 8601 time', kind: 'check, site or prober', subject: 'a check id or site', limit: '1 to 10000 (default 100)' } },
  { method: 'get', path: '/v1/uptime', summary: 'Availability per app and customer over a period (an SLA report): seconds up, down and unknown, and up / (up + down) in percent', auth: 'reader', query: { from: 'ISO 8601 time (default: `days` before `to`)', to: 'ISO 8601 time (default: the end of today)', days: 'length of the period when from is not given (default 30)', app: 'only this app', customer: 'only this customer' } },
  { method: 'get', path: '/metrics', summary: 'Prometheus metrics: check states, probe durations, lost sites, silent probers, alerts firing', auth: 'viewer' },
  { method: 'get', path: '/v1/alerts', summary: 'Alerts firing now, each with its severity, group, and what mutes it (inhibitedBy, silencedBy)', auth: 'viewer' },
  { method: 'get', path: '/v1/silences', summary: 'Active silences (all=true: also ended ones)', auth: 'viewer', query: { all: 'true to include ended silences' } },
  { method: 'post', path: '/v1/silences', summary: 'Silence the alerts matching customer, app, site or check until endsAt (or for duration)', auth: 'operator', body: SilenceBody },
  { method: 'delete', path: '/v1/silences/{id}', summary: 'End a silence now', auth: 'operator', params: ['id'] },
  { method: 'get', path: '/v1/notifications', summary: 'Notifications decided and their delivery: receiver, status, attempts, last error; newest first', auth: 'viewer', query: { limit: '1 to 10000 (default 100)' } },
  { method: 'get', path: '/v1/secrets', summary: 'Secret names, versions and the apps using them (never values)', auth: 'viewer' },
  { method: 'put', path: '/v1/secrets/{name}', summary: 'Set a secret (encrypted at rest); units using it restart with the new value', auth: 'operator', body: SecretBody, params: ['name'] },
  { method: 'delete', path: '/v1/secrets/{name}', summary: 'Delete a secret the newest revision does not use (409 otherwise)', auth: 'operator', params: ['name'] },
  { method: 'get', path: '/v1/whoami', summary: 'The calling token: name, role, the customer it is scoped to, when a login session ends', auth: 'reader' },
  { method: 'post', path: '/v1/login', summary: 'Trade a user\'s name and password for a session token (8 hours); 429 after 10 failures from one address, or for one name, in 10 minutes (attempts in flight count)', auth: 'none', body: LoginBody },
  { method: 'post', path: '/v1/logout', summary: 'End the calling login session', auth: 'reader' },
  { method: 'get', path: '/v1/users', summary: 'Users who log in with a password (never their hashes)', auth: 'admin' },
  { method: 'put', path: '/v1/users/{name}', summary: 'Add a user or set its role, customer scope and password', auth: 'admin', params: ['name'], body: UserBody },
  { method: 'delete', path: '/v1/users/{name}', summary: 'Delete a user and end its sessions', auth: 'admin', params: ['name'] },
  { method: 'get', path: '/v1/capacity', summary: 'The newest revision\'s cpu, memory and disk per site and host (total, usable after headroom, allocated, free) and N+1 per site', auth: 'viewer' },
  { method: 'get', path: '/v1/risk', summary: 'Blast radius of the newest revision: every single failure (host, site, facility, provider, country, risk group) with the apps and customers it takes down, worst first; the policy limit and violations', auth: 'viewer' },
  { method: 'get', path: '/v1/sites/{site}', summary: 'A site\'s blueprint in the newest revision: prefixes, segments (used and free addresses), hosts with addresses and units, proxies, firewall flows', auth: 'viewer', params: ['site'] },
  { method: 'post', path: '/v1/tokens', summary: 'Create an API token (shown once)', auth: 'admin', body: TokenBody },
  { method: 'get', path: '/v1/tokens', summary: 'List API tokens (without secrets)', auth: 'admin' },
  { method: 'delete', path: '/v1/tokens/{id}', summary: 'Revoke an API token', auth: 'admin', params: ['id'] },
];

function authText(auth: Auth): string {
  if (auth === 'none') return 'No authentication.';
  if (auth === 'host') return 'Host credential (agents only).';
  if (auth === 'reader') return 'Needs the viewer role or higher; a token scoped to a customer gets only that customer\'s part.';
  return `Needs the ${auth} role or higher.`;
}

export function openApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of OPS) {
    const item: Record<string, unknown> = {
      summary: op.summary,
      description: authText(op.auth),
      responses: {
        '200': { description: 'OK (JSON)' },
        '4XX': { description: 'Error: {"error": {"code", "message", "retryable", "details"?}}' },
      },
    };
    if (op.auth !== 'none') item.security = [{ bearer: [] }];
    const parameters = [
      ...(op.params ?? []).map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } })),
      ...Object.entries(op.query ?? {}).map(([name, description]) => ({ name, in: 'query', required: false, description, schema: { type: 'string' } })),
    ];
    if (parameters.length) item.parameters = parameters;
    if (op.body) item.requestBody = { required: true, content: { 'application/json': { schema: z.toJSONSchema(op.body, { target: 'draft-2020-12' }) } } };
    (paths[op.path] ??= {})[op.method] = item;
  }
  return {
    openapi: '3.1.0',
    info: { title: 'hafen controller API', version: '1' },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    paths,
  };
}

export function openApiRoute(app: FastifyInstance): void {
  const doc = openApiDocument();
  app.get('/openapi.json', async () => doc);
}
