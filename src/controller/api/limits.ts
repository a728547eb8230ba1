/**
 * How much a request body may hold, per route, in one table: small on the routes anyone may
 * call (login, joining, a customer's consent answer), large only where fleets (plan, apply) and
 * agents' reports travel, 1 MiB elsewhere. And no large body is read before its sender is known:
 * a request with more than the public limit to a route that needs a credential is refused (401)
 * from its headers, before fastify reads the body.
 */
import type { FastifyInstance } from 'fastify';
import { principal, type Credentials } from './auth.js';

const KiB = 1024;
const MiB = 1024 * KiB;

/** The routes reachable without a credential. */
export const PUBLIC_BODY_LIMIT = 64 * KiB;
const PUBLIC_ROUTES = ['/v1/login', '/v1/agent/join', '/v1/consent/:token'];

export const DEFAULT_BODY_LIMIT = MiB;

const LIMITS: Record<string, number> = {
  ...Object.fromEntries(PUBLIC_ROUTES.map((r) => [r, PUBLIC_BODY_LIMIT])),
  // A fleet as YAML sources: the 10,000-host generated fleet is 27 MB.
  '/v1/plan': 64 * MiB,
  '/v1/apply': 64 * MiB,
  // Agents', proxies' and probers' reports grow with the units, apps and checks of a fleet.
  '/v1/agent/status': 8 * MiB,
  '/v1/proxy/status': 8 * MiB,
  '/v1/probe/results': 8 * MiB,
  '/v1/agent/backups': 8 * MiB,
  '/v1/agent/backup-tasks': 8 * MiB,
};

/** Registers the limits (before any route) and the credential check ahead of large bodies. */
export function bodyLimits(app: FastifyInstance, auth: Credentials): void {
  app.addHook('onRoute', (route) => {
    route.bodyLimit ??= LIMITS[route.url] ?? DEFAULT_BODY_LIMIT;
  });
  app.addHook('onRequest', async (req) => {
    const url = req.routeOptions.url;
    if (url === undefined || PUBLIC_ROUTES.includes(url)) return;
    const length = Number(req.headers['content-length'] ?? 0);
    if (length > PUBLIC_BODY_LIMIT || req.headers['transfer-encoding'] !== undefined) await principal(auth, req);
  });
}
