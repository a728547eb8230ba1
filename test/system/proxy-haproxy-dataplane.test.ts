/** HAProxy (Debian's package) driven by hafen against the data-plane contract, as the built-in proxy is. */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HaproxyEngine } from '../../src/proxy/haproxy/engine.js';
import { dataPlaneContract } from '../contract/dataplane.js';
import { freePort } from '../helpers/demo.js';

const HAPROXY = '/usr/sbin/haproxy';

dataPlaneContract('HAProxy (driven by hafen)', async (o) => {
  const dir = mkdtempSync(join(tmpdir(), 'hafen-haproxy-'));
  const port = await freePort();
  const e = await HaproxyEngine.start(o.table, {
    site: o.site,
    listen: `127.0.0.1:${port}`,
    dir,
    binary: HAPROXY,
    limits: {
      ...(o.headersTimeoutMs !== undefined ? { headersTimeoutMs: o.headersTimeoutMs, requestTimeoutMs: o.headersTimeoutMs * 2 } : {}),
      ...(o.maxHeaderBytes !== undefined ? { maxHeaderBytes: o.maxHeaderBytes } : {}),
      ...(o.maxConnectionsPerClient !== undefined ? { maxConnectionsPerClient: o.maxConnectionsPerClient } : {}),
      ...(o.tunnelIdleTimeoutMs !== undefined ? { tunnelIdleTimeoutMs: o.tunnelIdleTimeoutMs } : {}),
    },
  });
  return {
    url: e.url,
    update: async (t) => void (await e.update(t)),
    close: async () => {
      await e.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}, existsSync(HAPROXY) || process.env.HAFEN_REQUIRE_SYSTEM === '1' ? undefined : 'haproxy is not installed (run scripts/install-system-deps.sh)');
