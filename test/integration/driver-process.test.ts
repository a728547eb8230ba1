import { spawn } from 'node:child_process';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { test } from 'node:test';
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

test("a unit's log and the driver's state are the agent's alone, whoever starts it", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hafen-driver-mode-'));
  const old = process.umask(0o022);
  const driver = ProcessDriver.open({ stateDir: dir });
  try {
    const mode = (p: string) => statSync(p).mode & 0o777;
    assert.deepEqual([mode(join(dir, 'units')), mode(join(dir, 'logs'))], [0o700, 0o700]);
    await driver.apply([unit('quiet-r1', [process.execPath, '-e', 'console.log("secret=hunter2"); setInterval(() => {}, 1000)'], {})]);
    const log = join(dir, 'logs', 'quiet-r1.log');
    for (let i = 0; i < 50 && !existsSync(log); i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(mode(log), 0o600);
  } finally {
    process.umask(old);
    await driver.stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
});

