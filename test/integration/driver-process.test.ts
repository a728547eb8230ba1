import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { driverContract } from '../contract/driver.js';
import type { Driver } from '../../src/agent/drivers/driver.js';
import { ProcessDriver } from '../../src/agent/drivers/process.js';
import type { DesiredUnit } from '../../src/core/render/desired.js';

const SERVER = "require('http').createServer((q,s)=>s.end(process.env.BODY)).listen(+process.env.PORT,'127.0.0.1')";

function unit(name: string, command: string[], env: Record<string, string>): DesiredUnit {
  return { name, app: name.replace(/-r\d+$/, ''), customer: 'c', replica: 1, kind: 'process', process: { command, env }, hash: JSON.stringify([command, env]) };
}

driverContract('process', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hafen-driver-'));
  const options = { stateDir: dir, backoffMs: 100, maxBackoffMs: 800, stopGraceMs: 2000 };
  const drivers: Driver[] = [ProcessDriver.open(options)];
  return {
    get driver() {
      return drivers[drivers.length - 1]!;
    },
    httpUnit: (name, port, body) => unit(name, [process.execPath, '-e', SERVER], { PORT: String(port), BODY: body }),
    // Node, not a shell: `npm test` needs nothing but Node.
    script: (out, err, code) => [process.execPath, '-e', `process.stdout.write(${JSON.stringify(`${out}\n`)}); process.stderr.write(${JSON.stringify(`${err}\n`)}); process.exitCode = ${code};`],
    crashingUnit: (name) => unit(name, [process.execPath, '-e', 'process.exit(3)'], {}),
    restartAgent: async () => {
      await drivers[drivers.length - 1]!.detach();
      drivers.push(ProcessDriver.open(options));
      return drivers[drivers.length - 1]!;
    },
    foreign: async () => {
      const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
      return { alive: () => child.exitCode === null && child.signalCode === null, stop: () => child.kill() };
    },
    freePort: () =>
      new Promise((resolve) => {
        const srv = createServer().listen(0, '127.0.0.1', () => {
          const { port } = srv.address() as { port: number };
          srv.close(() => resolve(port));
        });
      }),
    cleanup: async () => {
      await drivers[drivers.length - 1]!.stopAll();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
