/**
 * Each app's try timeout on the HAProxy engine (try.map: backend → ms). The fleet's
 * proxy.tryTimeout wins; otherwise it is derived, like the built-in engine's, from how fast the
 * replicas answered lately: every window (5 s) the engine reads the slowest answer of each
 * server (`rtime_max` of show stat, then `clear counters` starts the next window), and the try
 * timeout is 4 × the slowest answer of the app's servers over the last 12 windows that had
 * answers, within [1 s, 10 s]. A try cut by the timeout leaves no answer to learn from, so a
 * server that had tries cut (retries, `wretr`) while its last HTTP health check passed (L7OK:
 * slow, not hung; a TCP check passes on a frozen process too) counts as having answered as
 * slowly as the timeout itself: the next one is 4 × longer.
 */
import { HAPROXY_TRY, type HaproxyBackend } from '../../core/render/haproxy.js';
import type { StatRow } from './runtime.js';

/** Windows remembered per backend. */
const WINDOWS = 12;

/** The slowest answer (ms) per backend in one window, from show stat's server rows; backends without answers are left out. */
export function slowestAnswers(rows: readonly StatRow[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of rows) {
    if (r.svname === 'FRONTEND' || r.svname === 'BACKEND') continue;
    const ms = Number(r.rtime_max);
    if (!Number.isFinite(ms) || ms <= 0) continue;
    out.set(r.pxname!, Math.max(out.get(r.pxname!) ?? 0, ms));
  }
  return out;
}

export class TryTimeouts {
  /** Per backend: the slowest answer of each of its last windows with answers, oldest first. */
  private readonly windows = new Map<string, number[]>();
  /** Per "backend/server": its retries (cumulative) at the last window. */
  private readonly retries = new Map<string, number>();

  /** Takes one window's show stat rows; `current` gives each backend's try timeout during it. */
  observe(rows: readonly StatRow[], current: (backend: string) => number = () => HAPROXY_TRY.minMs): void {
    const slowest = slowestAnswers(rows);
    for (const r of rows) {
      if (r.svname === 'FRONTEND' || r.svname === 'BACKEND') continue;
      const key = `${r.pxname}/${r.svname}`;
      const retries = Number(r.wretr) || 0;
      const before = this.retries.get(key);
      this.retries.set(key, retries);
      // Tries cut on a server whose app answers its checks: its answers take at least the timeout.
      if (before !== undefined && retries > before && r.check_status === 'L7OK') slowest.set(r.pxname!, Math.max(slowest.get(r.pxname!) ?? 0, current(r.pxname!)));
    }
    for (const [backend, ms] of slowest) {
      const list = this.windows.get(backend) ?? [];
      list.push(ms);
      if (list.length > WINDOWS) list.shift();
      this.windows.set(backend, list);
    }
  }

  /** The try timeout of a backend: its fleet setting, else derived (the floor before any answer). */
  timeoutMs(b: HaproxyBackend): number {
    if (b.tryTimeoutMs !== undefined) return b.tryTimeoutMs;
    const slowest = Math.max(0, ...(this.windows.get(b.name) ?? []));
    return Math.min(HAPROXY_TRY.maxMs, Math.max(HAPROXY_TRY.minMs, Math.ceil(HAPROXY_TRY.factor * slowest)));
  }

  /** try.map's text for these backends. */
  mapText(backends: readonly HaproxyBackend[]): string {
    return backends.map((b) => `${b.name} ${this.timeoutMs(b)}\n`).join('');
  }

  /** Forgets backends no longer served. */
  keepOnly(backends: readonly HaproxyBackend[]): void {
    const names = new Set(backends.map((b) => b.name));
    for (const k of this.windows.keys()) if (!names.has(k)) this.windows.delete(k);
    for (const k of this.retries.keys()) if (!names.has(k.slice(0, k.indexOf('/')))) this.retries.delete(k);
  }
}
