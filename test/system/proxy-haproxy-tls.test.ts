/** HTTPS at HAProxy driven by hafen (test/contract/tls.ts), as at the built-in proxy. */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HaproxyEngine, freeListen } from '../../src/proxy/haproxy/engine.js';
import { tlsContract } from '../contract/tls.js';

const HAPROXY = '/usr/sbin/haproxy';

tlsContract('HAProxy', async (table, certs, host) => {
  const dir = mkdtempSync(join(tmpdir(), 'hafen-haproxy-tls-'));
  const said: string[] = [];
  const e = await HaproxyEngine.start(table, {
    site: 'nue',
    listen: await freeListen({ host, port: 0 }),
    tls: { listen: await freeListen({ host, port: 0 }), certs },
    dir,
    binary: HAPROXY,
    onOutput: (line) => void said.push(line),
  });
  return {
    url: e.url,
    tlsUrl: e.tlsUrl!,
    close: async () => {
      const reloads = e.reloadCount;
      await e.close();
      // The bundles hold private keys: nothing is left behind.
      rmSync(dir, { recursive: true, force: true });
      if (said.some((l) => l.includes('BEGIN'))) throw new Error('HAProxy output or hafen messages showed PEM data');
      if (reloads !== 0) throw new Error(`certificates should change through the Runtime API, but HAProxy was reloaded ${reloads} times:\n${said.join('\n')}`);
    },
  };
}, existsSync(HAPROXY) || process.env.HAFEN_REQUIRE_SYSTEM === '1' ? undefined : 'haproxy is not installed (run scripts/install-system-deps.sh)');
