/**
 * Monitoring: probers fetch the probes of their site (a long-poll, like agents and proxies)
 * and deliver results with the credential of the host they run on, so a result's site is
 * the host's, never what the sender claims. People read check states, sites and events.
 */
import type { FastifyInstance } from 'fastify';
import { HafenError } from '../../lib/errors.js';
import { availability } from '../../core/monitor/uptime.js';
import { type Credentials, customerScope, requireHost, requireReader, requireRole } from './auth.js';
import { ProbeResultsBody } from './schemas.js';
import { body } from './validate.js';
import type { Store } from '../store/store.js';
import type { Pulls } from '../pulls.js';
import type { Monitor } from '../monitor.js';
import type { UptimeBook } from '../uptime.js';

/** What the monitoring routes need: what probers pull and report, check states, events and uptime. */
export interface MonitorApi {
  auth: Credentials;
  store: Pick<Store, 'events' | 'uptime'>;
  siteOf: Pulls['siteOf'];
  probesFor: Pulls['probesFor'];
  waitForProbes: Pulls['waitForProbes'];
  monitor: Pick<Monitor, 'hosts' | 'record' | 'sites' | 'status'>;
  uptime: Pick<UptimeBook, 'unwritten'>;
  /** Evaluates the check states now (watch.ts). */
  evaluate(): Promise<void>;
}

const MAX_WAIT_S = 30;
/** How far a probe result's time may be from the controller's clock. */
const MAX_RESULT_SKEW_MS = 60_000;

async function proberSite(api: MonitorApi, host: string): Promise<string> {
  const site = await api.siteOf(host);
  if (!site) throw new HafenError('HAFEN_HOST_NOT_FOUND', `host ${host} is not in the fleet's newest revision, so its site (where it probes from) is unknown`);
  return site;
}

export function monitorRoutes(app: FastifyInstance, api: MonitorApi, now: () => Date = () => new Date()): void {
  app.get<{ Querystring: { after?: string; wait?: string } }>('/v1/probe/checks', async (req) => {
    const site = await proberSite(api, await requireHost(api.auth, req));
    const wait = Math.min(Math.max(Number(req.query.wait ?? 0) || 0, 0), MAX_WAIT_S);
    const res = wait > 0 ? await api.waitForProbes(site, req.query.after, wait * 1000) : { ...(await api.probesFor(site)), changed: true };
    return { site, hash: res.hash, changed: res.changed, probes: res.probes };
  });

  // A result counts only dated near the controller's clock, and only for a check assigned to the
  // prober's site: a host cannot freeze another site's view with a result from the future. The
  // others are left out and counted in the answer (the prober says so in its log); a delivery
  // is never refused whole, so results held while the controller was away cannot block it.
  app.post('/v1/probe/results', async (req) => {
    const site = await proberSite(api, await requireHost(api.auth, req));
    const { results } = body(ProbeResultsBody, req);
    const t = now().getTime();
    const timely = results.filter((r) => Math.abs(Date.parse(r.at) - t) <= MAX_RESULT_SKEW_MS);
    const assigned = new Set((await api.probesFor(site)).probes.map((p) => p.id));
    const mine = timely.filter((r) => assigned.has(r.check));
    api.monitor.record(site, mine);
    await api.evaluate();
    return { recorded: mine.length, outOfTime: results.length - timely.length, notAssigned: timely.length - mine.length };
  });

  app.get<{ Querystring: { state?: string; app?: string; customer?: string } }>('/v1/checks', async (req) => {
    const who = await requireReader(api.auth, req);
    const q = { ...req.query, customer: customerScope(who, req.query.customer) };
    const checks = api.monitor.status().filter((c) => (!q.state || c.state === q.state) && (!q.app || c.app === q.app) && (!q.customer || c.customer === q.customer));
    // A customer's token sees its checks and the sites' states, not the fleet's hosts (nor which host a check is on).
    if (who.customer !== undefined) return { checks: checks.map(({ host: _host, ...c }) => c), sites: api.monitor.sites(), hosts: [] };
    return { checks, sites: api.monitor.sites(), hosts: api.monitor.hosts() };
  });

  app.get<{ Querystring: { from?: string; to?: string; days?: string; app?: string; customer?: string } }>('/v1/uptime', async (req) => {
    const who = await requireReader(api.auth, req);
    const q = { ...req.query, customer: customerScope(who, req.query.customer) };
    const day = (t: number) => new Date(Math.floor(t / 86_400_000) * 86_400_000);
    const to = q.to ? new Date(q.to) : new Date(day(Date.now()).getTime() + 86_400_000);
    const days = q.days === undefined ? 30 : Number(q.days);
    if (!Number.isInteger(days) || days < 1 || days > 3660) throw new HafenError('HAFEN_API_BAD_REQUEST', `days must be a whole number from 1 to 3660, not "${q.days}"`);
    const from = q.from ? new Date(q.from) : new Date(to.getTime() - days * 86_400_000);
    if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime()) || from >= to) throw new HafenError('HAFEN_API_BAD_REQUEST', 'from and to must be ISO 8601 times, from before to');
    const stored = await api.store.uptime({ from: from.toISOString(), to: to.toISOString(), ...(q.app ? { apps: [q.app] } : {}) });
    const merged = new Map(stored.map((r) => [`${r.app}\u0000${r.day}`, r]));
    for (const d of api.uptime.unwritten()) {
      if (d.day < from.toISOString() || d.day >= to.toISOString() || (q.app && d.app !== q.app)) continue;
      const have = merged.get(`${d.app}\u0000${d.day}`);
      if (have) merged.set(`${d.app}\u0000${d.day}`, { ...have, upSeconds: have.upSeconds + d.upSeconds, downSeconds: have.downSeconds + d.downSeconds, unknownSeconds: have.unknownSeconds + d.unknownSeconds });
      else merged.set(`${d.app}\u0000${d.day}`, d);
    }
    const selected = [...merged.values()].filter((r) => !q.customer || r.customer === q.customer).sort((a, b) => (a.app < b.app ? -1 : a.app > b.app ? 1 : a.day < b.day ? -1 : 1));
    const group = <K extends 'app' | 'customer'>(key: K) => {
      const by = new Map<string, typeof selected>();
      for (const r of selected) by.set(r[key], [...(by.get(r[key]) ?? []), r]);
      return [...by].map(([id, list]) => ({ [key]: id, ...(key === 'app' ? { customer: list[0]!.customer, days: list } : { apps: new Set(list.map((r) => r.app)).size }), ...availability(list) }));
    };
    return { from: from.toISOString(), to: to.toISOString(), apps: group('app'), customers: group('customer') };
  });

  app.get<{ Querystring: { since?: string; kind?: string; subject?: string; limit?: string } }>('/v1/events', async (req) => {
    await requireRole(api.auth, req, 'viewer');
    const q = req.query;
    if (q.since !== undefined && Number.isNaN(Date.parse(q.since))) throw new HafenError('HAFEN_API_BAD_REQUEST', `since must be an ISO 8601 time, not "${q.since}"`);
    const limit = q.limit === undefined ? 100 : Number(q.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new HafenError('HAFEN_API_BAD_REQUEST', `limit must be a whole number from 1 to 10000, not "${q.limit}"`);
    return {
      events: await api.store.events({ ...(q.since ? { since: new Date(q.since).toISOString() } : {}), ...(q.kind ? { kind: q.kind } : {}), ...(q.subject ? { subject: q.subject } : {}), limit }),
    };
  });
}
