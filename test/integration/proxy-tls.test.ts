/** HTTPS at the built-in proxy (test/contract/tls.ts; HAProxy's run is test/system/proxy-haproxy-tls.test.ts). */
import { CertStore } from '../../src/proxy/certs.js';
import { startProxyServer } from '../../src/proxy/server.js';
import { tlsContract } from '../contract/tls.js';

tlsContract('built-in proxy', async (table, dir, host) => {
  const certs = new CertStore(dir);
  certs.watch();
  const ps = await startProxyServer({ site: 'nue', table, listen: { host, port: 0 }, tls: { listen: { host, port: 0 }, certs } });
  return {
    url: ps.url,
    tlsUrl: ps.tlsUrl!,
    close: async () => {
      certs.close();
      await ps.close();
    },
  };
});
