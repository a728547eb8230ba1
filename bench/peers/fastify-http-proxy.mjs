// Peer for bench/proxy.ts: @fastify/http-proxy (fastify + undici through @fastify/reply-from).
// Usage: node bench/peers/fastify-http-proxy.mjs LISTEN_PORT BACKEND_PORT
import Fastify from 'fastify';
import proxy from '@fastify/http-proxy';

const [listen, backend] = process.argv.slice(2).map(Number);
const app = Fastify({ logger: false });
await app.register(proxy, { upstream: `http://127.0.0.1:${backend}` });
await app.listen({ port: listen, host: '127.0.0.1' });
