/**
 * The controller's HTTP API (fastify, JSON). HTTP status codes are chosen here, and only
 * here, from the error catalogue (src/lib/error-codes.ts). Every error answers in one shape,
 * `{"error": {"code", "message", "retryable", "details"?}}` — fastify's own (an unknown route, a
 * body it cannot parse) included.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { errorBody, httpStatusOf } from '../lib/error-codes.js';
import { HafenError } from '../lib/errors.js';
import { unitName } from '../core/render/names.js';
import { bodyLimits, DEFAULT_BODY_LIMIT } from './api/limits.js';
import { agentRoutes } from './api/agents.js';
import { auditRoutes } from './api/audit.js';
import { auditHook } from './audit.js';
import { backupRoutes } from './api/backups.js';
import { dashboardRoutes } from './api/dashboard.js';
import { alertRoutes } from './api/alerts.js';
import { metricsRoute } from './api/metrics.js';
import { standbyRoutes } from './api/standbys.js';
import { moveRoutes } from './api/moves.js';
import { monitorRoutes } from './api/monitor.js';
import { openApiRoute } from './api/openapi.js';
import { proxyRoutes } from './api/proxies.js';
import { revisionRoutes } from './api/revisions.js';
import { secretRoutes } from './api/secrets.js';
import { statusRoutes } from './api/status.js';
import { tokenRoutes } from './api/tokens.js';
import { userRoutes } from './api/users.js';
import { fleetViewRoutes } from './api/fleet-views.js';
import type { Controller } from './wiring.js';

export interface AppOptions {
  now?: () => Date;
  logger?: boolean;
  /** More about this controller for /healthz (its role as leader, its term). */
  about?: () => Record<string, unknown>;
  /** The controller's own HTTP server (it listens before it leads), instead of one of fastify's. */
  serverFactory?: (handler: (req: IncomingMessage, res: ServerResponse) => void) => Server;
}

export function buildApp(c: Controller, options: AppOptions = {}): FastifyInstance {
  const now = options.now ?? (() => new Date());
  // Request logs never include headers, so bearer tokens stay out of them; nor a consent link's token.
  const logger = options.logger ? { serializers: { req: (r: { method: string; url: string; ip: string }) => ({ method: r.method, url: loggedUrl(r.url), remoteAddress: r.ip }) } } : false;
  const app = Fastify({
    logger,
    bodyLimit: DEFAULT_BODY_LIMIT,
    forceCloseConnections: 'idle',
    // A URL fastify cannot route (a bad percent escape) never reaches the error handler: answered in hafen's shape here.
    frameworkErrors: (err, _req, reply: FastifyReply) => void reply.code(400).send(errorBody('HAFEN_API_BAD_REQUEST', err.code === 'FST_ERR_BAD_URL' ? 'the request target is not a valid URL (a bad percent escape?)' : 'bad request')),
    ...(options.serverFactory ? { serverFactory: options.serverFactory } : {}),
  }) as unknown as FastifyInstance;
  // The consent page's form posts application/x-www-form-urlencoded.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 16 * 1024 }, (_req, text, done) => done(null, Object.fromEntries(new URLSearchParams(text as string))));
  app.setErrorHandler((err, req, reply) => {
    if (err instanceof HafenError) {
      return reply.code(httpStatusOf(err.code)).send({ error: { code: err.code, message: err.message, retryable: err.retryable, ...(err.details !== undefined ? { details: err.details } : {}) } });
    }
    // fastify's own: a body it cannot parse or that is too large, a bad content type, ...
    const status = (err as { statusCode?: number }).statusCode;
    if (status && status < 500) return reply.code(status).send(errorBody('HAFEN_API_BAD_REQUEST', (err as Error).message));
    req.log.error(err);
    return reply.code(500).send(errorBody('HAFEN_INTERNAL', 'internal error; see the controller log'));
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send(errorBody('HAFEN_API_NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]!.slice(0, 200)}; the API is described at /openapi.json`)));
  // Per-route body limits, and no large body read before its sender is known (api/limits.ts).
  bodyLimits(app, c.store);
  // What each request that succeeded did, into the audit history (audit.ts).
  auditHook(app, c.store, now);
  app.get('/healthz', async () => ({ ok: true, ...options.about?.(), revision: (await c.store.head())?.number ?? null }));
  // Each plugin gets the narrow interface it declares: what it reads and does, nothing more.
  const auth = c.store;
  const current = () => c.revisions.current();
  const { pulls, revisions, watch } = c;
  openApiRoute(app);
  revisionRoutes(app, { auth, store: c.store, planBody: (b) => revisions.planBody(b), apply: (r) => revisions.apply(r), rollback: (...a) => revisions.rollback(...a), rollouts: c.rollouts });
  agentRoutes(
    app,
    {
      auth,
      store: c.store,
      current,
      desiredFor: (h) => pulls.desiredFor(h),
      waitForChange: (...a) => pulls.waitForChange(...a),
      recordReport: (s) => pulls.recordReport(s),
      secrets: c.secrets,
      reapplyFirewall: (h, by) => watch.remediation.reapplyFirewall(h, by),
    },
    now,
  );
  statusRoutes(app, { auth, current, reports: c.reports, desiredFor: (h) => pulls.desiredFor(h), proxyViews: () => pulls.proxyViews(), monitor: watch.monitor, standbys: c.standbys }, now);
  tokenRoutes(app, { auth, store: c.store, current }, now);
  userRoutes(app, { auth, store: c.store, current, secrets: c.secrets }, now);
  fleetViewRoutes(app, { auth, current });
  secretRoutes(app, { auth, secrets: c.secrets, setSecret: (...a) => revisions.setSecret(...a), deleteSecret: (n) => revisions.deleteSecret(n), secretUsers: (n) => revisions.secretUsers(n) });
  proxyRoutes(app, { auth, store: c.store, current, routes: () => pulls.routes(), waitForRoutes: (...a) => pulls.waitForRoutes(...a), recordProxyView: (h, v) => pulls.recordProxyView(h, v) }, now);
  monitorRoutes(app, {
    auth,
    store: c.store,
    siteOf: (h) => pulls.siteOf(h),
    probesFor: (s) => pulls.probesFor(s),
    waitForProbes: (...a) => pulls.waitForProbes(...a),
    monitor: watch.monitor,
    uptime: watch.uptime,
    evaluate: () => watch.evaluate(),
  }, now);
  alertRoutes(app, { auth, store: c.store, alerts: () => watch.alerting.alerts() }, now);
  backupRoutes(app, {
    auth,
    store: c.store,
    backups: c.backups,
    unitsOn: async (host) => new Set(((await current())?.placements ?? []).filter((p) => p.host === host).map((p) => unitName(p.app, p.replica))),
  });
  moveRoutes(app, { auth, store: c.store, moves: c.moves });
  auditRoutes(app, { auth, store: c.store });
  standbyRoutes(app, { auth, standbys: c.standbys });
  metricsRoute(app, { auth, monitor: watch.monitor, alerts: () => watch.alerting.alerts() });
  dashboardRoutes(app);
  return app;
}

/** A request's URL as logged: a consent link's token never, however the path is spelled (percent-encoded, another case). */
export function loggedUrl(url: string): string {
  let path = url;
  try {
    path = decodeURIComponent(url);
  } catch {
    // Not decodable: matched as it is.
  }
  return /\/v1\/consent\//i.test(path) ? '/v1/consent/***' : url;
}

