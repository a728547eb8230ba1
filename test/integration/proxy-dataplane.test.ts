/** The built-in proxy (node:http + undici) against the data-plane contract. */
import { startProxyServer } from '../../src/proxy/server.js';
import { dataPlaneContract } from '../contract/dataplane.js';

dataPlaneContract('hafen (built-in)', async (o) => {
  const s = await startProxyServer({
    site: o.site,
    table: o.table,
    listen: { host: '127.0.0.1', port: 0 },
    limits: {
      ...(o.headersTimeoutMs !== undefined ? { headersTimeoutMs: o.headersTimeoutMs, requestTimeoutMs: o.headersTimeoutMs * 2 } : {}),
      ...(o.maxHeaderBytes !== undefined ? { maxHeaderBytes: o.maxHeaderBytes } : {}),
      ...(o.maxConnectionsPerClient !== undefined ? { maxConnectionsPerClient: o.maxConnectionsPerClient } : {}),
      ...(o.tunnelIdleTimeoutMs !== undefined ? { tunnelIdleTimeoutMs: o.tunnelIdleTimeoutMs } : {}),
    },
  });
  return { url: s.url, update: (t) => s.update(t), close: () => s.close() };
});
