/**
 * Active health checks: one HTTP request (a fresh connection, so a dead listener shows) to the
 * route's health path, or a TCP connect when the app has no health check. Each replica is
 * checked on its own jittered timer, so checks of many replicas spread over the interval.
 */
import http from 'node:http';
import net from 'node:net';
import type { Replica, Route } from '../core/render/routes.js';

export function checkOnce(replica: Replica, health: Route['health'], timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (ok: boolean) => {
      if (!settled) {
        settled = true;
        resolve(ok);
      }
    };
    if (!health) {
      const s = net.connect({ host: replica.address, port: replica.port });
      s.setTimeout(timeoutMs, () => (s.destroy(), done(false)));
      s.once('connect', () => (s.destroy(), done(true)));
      s.once('error', () => done(false));
      return;
    }
    const req = http.request({ host: replica.address, port: replica.port, path: health.path, method: 'GET', agent: false, timeout: timeoutMs, headers: { 'user-agent': 'hafen-proxy-health' } }, (res) => {
      res.resume();
      res.once('end', () => done(res.statusCode === health.expectStatus));
      res.once('error', () => done(false));
    });
    req.once('timeout', () => req.destroy(new Error('timeout')));
    req.once('error', () => done(false));
    req.end();
  });
}

/** Runs `check` every `intervalMs` (jittered ±20%) until stopped. */
export function every(intervalMs: number, check: () => Promise<void>): () => void {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const next = (first: boolean) => {
    const delay = first ? Math.random() * intervalMs : intervalMs * (0.8 + Math.random() * 0.4);
    timer = setTimeout(() => {
      void check().finally(() => {
        if (!stopped) next(false);
      });
    }, delay);
    timer.unref();
  };
  next(true);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
