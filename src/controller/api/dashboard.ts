/**
 * The dashboard (src/web, built by vite into dist/web) at /ui/, from the same origin as the
 * API. Its files are public (the login page is one of them); every number on its pages comes
 * from the API with the token the user logged in with. A strict content security policy: the
 * pages load nothing from anywhere else and cannot be framed.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { HafenError } from '../../lib/errors.js';

const CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/** dist/web beside the compiled controller, or the build output when the controller runs from source. */
function builtDashboard(): string | undefined {
  return ['../../web/', '../../../dist/web/'].map((p) => fileURLToPath(new URL(p, import.meta.url))).find((d) => existsSync(`${d}index.html`) && existsSync(`${d}assets`));
}

export function dashboardRoutes(app: FastifyInstance): void {
  const root = builtDashboard();
  app.get('/ui', (_req, reply) => reply.redirect('/ui/'));
  if (!root) {
    app.get('/ui/*', async () => {
      throw new HafenError('HAFEN_DASHBOARD_NOT_FOUND', 'the dashboard is not built: run npm run build (it writes dist/web)');
    });
    return;
  }
  void app.register(fastifyStatic, {
    root,
    prefix: '/ui/',
    index: 'index.html',
    setHeaders: (res) => {
      res.setHeader('content-security-policy', CSP);
      res.setHeader('x-content-type-options', 'nosniff');
      res.setHeader('referrer-policy', 'no-referrer');
    },
  });
}
