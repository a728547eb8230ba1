/**
 * Both proxy engines started for the data-plane contracts (test/contract/failover.ts, hang.ts):
 * each reports when it took a replica out (`down`) and, for a failing test's message, what it said.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RouteTable } from '../../src/core/render/routes.js';
import { HaproxyEngine, freeListen } from '../../src/proxy/haproxy/engine.js';
import { startProxyServer } from '../../src/proxy/server.js';
import type { FailoverEngine } from '../contract/failover.js';

export const HAPROXY = '/usr/sbin/haproxy';

/** Why the HAProxy runs are skipped here, or undefined (in CI, HAFEN_REQUIRE_SYSTEM=1, they run and fail without it). */
export const haproxySkip = existsSync(HAPROXY) || process.env.HAFEN_REQUIRE_SYSTEM === '1' ? undefined : 'haproxy is not installed (run scripts/install-system-deps.sh)';

/** The built-in engine at site nue; a replica counts as down when first ejected or marked down. */
export async function builtinEngine(table: RouteTable, listen: { host: string; port: number }): Promise<FailoverEngine> {
  const down = new Map<string, number>();
  const said: string[] = [];
  const proxy = await startProxyServer({
    site: 'nue',
    listen,
    table,
    onHealth: (id, e) => {
      said.push(`${id} ${e}`);
      if ((e === 'ejected' || e === 'down') && !down.has(id)) down.set(id, performance.now());
    },
    onAccess: (e) => void (e.status !== 200 && said.push(`${e.method} ${e.path} ${e.status} ${e.replica ?? ''} ${e.error ?? ''} ${e.ms.toFixed(0)} ms`)),
  });
  return { url: proxy.url, down, diagnostics: () => said.slice(-30).join('\n'), close: () => proxy.close() };
}

/** HAProxy driven by hafen at site nue; a replica counts as down when HAProxy's statistics first show it so (sampled every 20 ms). */
export async function haproxyEngine(table: RouteTable, listen: { host: string; port: number }): Promise<FailoverEngine> {
  const dir = mkdtempSync(join(tmpdir(), 'hafen-haproxy-contract-'));
  // HAProxy's log lines for requests not answered 200, and its warnings (servers going down).
  const said: string[] = [];
  const onOutput = (line: string) => void (/ 200 \d|GET \/healthz/.test(line) || said.push(line));
  const engine = await HaproxyEngine.start(table, { site: 'nue', listen: await freeListen(listen), dir, binary: HAPROXY, onOutput });
  const down = new Map<string, number>();
  let sampling = true;
  const sample = async () => {
    while (sampling) {
      for (const r of await engine.replicas().catch(() => [])) if (!r.up && !down.has(r.replica)) down.set(r.replica, performance.now());
      await new Promise((res) => setTimeout(res, 20));
    }
  };
  const sampler = sample();
  return {
    url: engine.url,
    down,
    diagnostics: () => said.slice(-30).join('\n'),
    close: async () => {
      sampling = false;
      await sampler;
      await engine.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
