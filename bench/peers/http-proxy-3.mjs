// Peer for bench/proxy.ts: http-proxy-3 (the maintained http-proxy) with keep-alive to the backend.
// Usage: node bench/peers/http-proxy-3.mjs LISTEN_PORT BACKEND_PORT
import http from 'node:http';
import { createProxyServer } from 'http-proxy-3';

const [listen, backend] = process.argv.slice(2).map(Number);
const proxy = createProxyServer({ target: `http://127.0.0.1:${backend}`, agent: new http.Agent({ keepAlive: true, maxSockets: 256 }), xfwd: true });
proxy.on('error', (_err, _req, res) => {
  if ('writeHead' in res) res.writeHead(502).end();
});
http.createServer((req, res) => proxy.web(req, res)).listen(listen, '127.0.0.1');
