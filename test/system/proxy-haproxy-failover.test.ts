/** Site loss under load through HAProxy driven by hafen (test/contract/failover.ts). */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HaproxyEngine, freeListen } from '../../src/proxy/haproxy/engine.js';
import { siteLossUnderLoad } from '../contract/failover.js';

const HAPROXY = '/usr/sbin/haproxy';

siteLossUnderLoad('HAProxy', async (table, listen) => {
  const dir = mkdtempSync(join(tmpdir(), 'hafen-haproxy-failover-'));
  // HAProxy's log lines for requests not answered 200, and its warnings (servers going down).
  const said: string[] = [];
  const onOutput = (line: string) => void (/ 200 \d|GET \/healthz/.test(line) || said.push(line));
  const engine = await HaproxyEngine.start(table, { site: 'nue', listen: await freeListen(listen), dir, binary: HAPROXY, onOutput });
  // When HAProxy took each replica out, as its statistics show (sampled every 20 ms).
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
}, existsSync(HAPROXY) || process.env.HAFEN_REQUIRE_SYSTEM === '1' ? undefined : 'haproxy is not installed (run scripts/install-system-deps.sh)');
