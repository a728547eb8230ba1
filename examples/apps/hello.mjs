#!/usr/bin/env node
// A tiny customer app for the examples and the demo: serves HTTP on $HAFEN_ADDRESS:$PORT,
// answers /healthz, and counts its requests in a data file (so moves and restarts can show
// that data survives). Uses only Node's standard library.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';

const address = process.env.HAFEN_ADDRESS ?? '127.0.0.1';
const port = Number(process.env.PORT ?? 8080);
const unit = process.env.HAFEN_UNIT ?? 'hello';
const dataDir = process.env.HAFEN_DATA_DIR ?? join('.hafen-data', unit);
mkdirSync(dataDir, { recursive: true });
const counter = join(dataDir, 'requests');
let count = 0;
try {
  count = Number(readFileSync(counter, 'utf8')) || 0;
} catch {
  // first start
}

createServer((req, res) => {
  if (req.url === '/healthz') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    return;
  }
  count++;
  writeFileSync(counter, String(count));
  res.writeHead(200, { 'content-type': 'text/plain' }).end(`${process.env.GREETING ?? 'hello'} from ${unit} at ${address}:${port} (request ${count})\n`);
}).listen(port, address, () => process.stdout.write(`${unit} listening on ${address}:${port}\n`));

for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
