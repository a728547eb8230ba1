/** Site loss under load through the built-in proxy (test/contract/failover.ts). */
import { startProxyServer } from '../../src/proxy/server.js';
import { siteLossUnderLoad } from '../contract/failover.js';

siteLossUnderLoad('built-in', async (table, listen) => {
  const down = new Map<string, number>();
  const proxy = await startProxyServer({
    site: 'nue',
    listen,
    table,
    onHealth: (id, e) => {
      if ((e === 'ejected' || e === 'down') && !down.has(id)) down.set(id, performance.now());
    },
  });
  return { url: proxy.url, down, close: () => proxy.close() };
});
