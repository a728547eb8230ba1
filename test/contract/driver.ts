/**
 * The Driver contract: every runtime driver (process now, compose next) must pass it.
 * The fixture provides units that serve HTTP on loopback and a unit that keeps crashing.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, test } from 'node:test';
import type { Driver, UnitStatus } from '../../src/agent/drivers/driver.js';
import type { DesiredUnit } from '../../src/core/render/desired.js';
import { withRole } from '../../src/core/standby/overlay.js';
import { until } from '../helpers/wait.js';

export interface DriverFixture {
  driver: Driver;
  /** A unit serving `body` over HTTP on 127.0.0.1:`port`. */
  httpUnit(name: string, port: number, body: string): DesiredUnit;
  /** A command (argv) run inside a unit by `exec`: writes `out` to stdout and `err` to stderr, then exits with `code`. */
  script(out: string, err: string, code: number): string[];
  /** A unit that exits with an error right after it starts. */
  crashingUnit(name: string): DesiredUnit;
  /** Drops the driver without stopping its units (as when the agent dies) and opens a new one. */
  restartAgent(): Promise<Driver>;
  /** Starts something the driver does not own; returns a check that it is still running. */
  foreign(): Promise<{ alive(): boolean; stop(): void }>;
  freePort(): Promise<number>;
  cleanup(): Promise<void>;
}

async function get(port: number): Promise<string | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(1000) });
    return await res.text();
  } catch {
    return undefined;
  }
}

const find = (list: UnitStatus[], name: string) => list.find((s) => s.name === name);

export function driverContract(name: string, open: () => Promise<DriverFixture>): void {
  describe(`Driver contract: ${name}`, () => {
    const withDriver = (title: string, fn: (f: DriverFixture) => Promise<void>) =>
      test(title, async () => {
        const f = await open();
        try {
          await fn(f);
        } finally {
          await f.cleanup();
        }
      });

    withDriver('apply starts units, is idempotent, replaces changed units and stops removed ones', async (f) => {
      const [p1, p2] = [await f.freePort(), await f.freePort()];
      await f.driver.apply([f.httpUnit('a-r1', p1, 'one'), f.httpUnit('b-r1', p2, 'two')]);
      assert.equal(await until('a serving', () => get(p1)), 'one');
      assert.equal(await until('b serving', () => get(p2)), 'two');
      const before = await f.driver.status();
      assert.deepEqual(before.map((s) => [s.name, s.state]), [['a-r1', 'running'], ['b-r1', 'running']]);

      await f.driver.apply([f.httpUnit('a-r1', p1, 'one'), f.httpUnit('b-r1', p2, 'two')]);
      const same = await f.driver.status();
      assert.equal(find(same, 'a-r1')?.since, find(before, 'a-r1')?.since, 'unchanged unit left running');

      await f.driver.apply([f.httpUnit('a-r1', p1, 'one v2')]);
      assert.equal(await until('a replaced', async () => ((await get(p1)) === 'one v2' ? 'one v2' : undefined)), 'one v2');
      await until('b stopped', async () => ((await get(p2)) === undefined ? true : undefined));
      assert.deepEqual((await f.driver.status()).map((s) => s.name), ['a-r1']);
    });

    withDriver('a unit that keeps crashing is restarted with backoff and reported failed', async (f) => {
      await f.driver.apply([f.crashingUnit('bad-r1')]);
      const st = await until('reported failed', async () => {
        const s = find(await f.driver.status(), 'bad-r1');
        return s?.state === 'failed' ? s : undefined;
      });
      assert.match(st.lastError ?? '', /exited with code 3|exit/);
      const restarts = st.restarts;
      await new Promise((r) => setTimeout(r, 700));
      const later = find(await f.driver.status(), 'bad-r1')!;
      assert.ok(later.restarts - restarts <= 2, `backoff, not a tight loop (${later.restarts - restarts} restarts in 0.7 s)`);
    });

    withDriver('after an agent restart the units are adopted, not started twice', async (f) => {
      const port = await f.freePort();
      await f.driver.apply([f.httpUnit('keep-r1', port, 'kept')]);
      await until('serving', () => get(port));
      const since = find(await f.driver.status(), 'keep-r1')?.since;
      const next = await f.restartAgent();
      assert.equal(await get(port), 'kept', 'still serving while no agent runs');
      assert.equal(find(await next.status(), 'keep-r1')?.since, since, 'adopted');
      await next.apply([f.httpUnit('keep-r1', port, 'kept')]);
      assert.equal(find(await next.status(), 'keep-r1')?.since, since, 'not restarted');
      await next.apply([]);
      await until('stopped by the new agent', async () => ((await get(port)) === undefined ? true : undefined));
    });

    withDriver('secret values reach the workload literally, win over its own environment, and a new version replaces it', async (f) => {
      const port = await f.freePort();
      const base = f.httpUnit('sec-r1', port, 'literal');
      await f.driver.apply([{ ...base, secretValues: { BODY: 'pa$$w0rd-$HOME-1' }, hash: `${base.hash}-v1` }]);
      assert.equal(await until('serving the secret', async () => ((await get(port)) === 'pa$$w0rd-$HOME-1' ? 'ok' : undefined)), 'ok');
      await f.driver.apply([{ ...base, secretValues: { BODY: 'pa$$w0rd-$HOME-2' }, hash: `${base.hash}-v2` }]);
      assert.equal(await until('serving the rotated secret', async () => ((await get(port)) === 'pa$$w0rd-$HOME-2' ? 'ok' : undefined)), 'ok');
    });

    withDriver('backup hooks: a command runs for a unit; a held unit is stopped, left alone by apply, and started again by its resume', async (f) => {
      const port = await f.freePort();
      const unit = f.httpUnit('hook-r1', port, 'held');
      await f.driver.apply([unit]);
      assert.equal(await until('serving', () => get(port)), 'held');
      const ok = await f.driver.exec(unit, f.script('dumped', 'to-stderr', 0), { timeoutMs: 30_000 });
      assert.equal(ok.code, 0, ok.output);
      assert.match(ok.output, /dumped/);
      const bad = await f.driver.exec(unit, f.script('', 'pg_dump: connection refused', 4), { timeoutMs: 30_000 });
      assert.equal(bad.code, 4);
      assert.match(bad.output, /pg_dump: connection refused/);

      const resume = await f.driver.hold(unit);
      await until('stopped while held', async () => ((await get(port)) === undefined ? true : undefined));
      await f.driver.apply([unit]);
      assert.equal(await get(port), undefined, 'apply does not start a held unit');
      await resume();
      assert.equal(await until('serving again', () => get(port)), 'held');
      // A unit that is not running: holding it is a no-op.
      await (await f.driver.hold({ name: 'nothing-r1' }))();
    });

    withDriver("a move's volumes: none before, made on request where the unit does not run yet, found again after", async (f) => {
      const unit = { name: 'moved-r1' };
      assert.deepEqual(await f.driver.moveVolumes(unit, ['data'], false), []);
      const made = await f.driver.moveVolumes(unit, ['data'], true);
      assert.equal(made.length, 1);
      assert.ok(existsSync(made[0]!.path), made[0]!.path);
      assert.deepEqual(await f.driver.moveVolumes(unit, ['data'], false), made);
      assert.deepEqual(await f.driver.dataPaths(unit, ['data']), [made[0]!.path], 'backups find the same directory');
    });

    withDriver("a standby app's standby is made ready and not started; promoted it starts, demoted it stops, and an agent restart keeps it so", async (f) => {
      const port = await f.freePort();
      const plain = f.httpUnit('db-r2', port, 'writer');
      const as = (role: 'active' | 'standby', term: number) => withRole(plain, { app: plain.app, term, active: role === 'active' ? plain.replica : plain.replica + 1 }, ['data']);
      await f.driver.apply([as('standby', 1)]);
      await until('reported standby', async () => (find(await f.driver.status(), 'db-r2')?.state === 'standby' ? true : undefined));
      assert.equal(await get(port), undefined, 'a standby takes no requests: it does not run');
      assert.ok((await f.driver.moveVolumes({ name: 'db-r2' }, ['data'], true)).length > 0, 'its data has a place to be copied to');
      const driver = await f.restartAgent();
      await driver.apply([as('standby', 1)]);
      assert.equal(find(await driver.status(), 'db-r2')?.state, 'standby', 'after an agent restart it still waits');
      assert.equal(await get(port), undefined);
      await driver.apply([as('active', 2)]);
      assert.equal(await until('promoted: serving', () => get(port)), 'writer');
      assert.equal(find(await driver.status(), 'db-r2')?.state, 'running');
      await driver.apply([as('standby', 3)]);
      await until('demoted: reported standby', async () => (find(await driver.status(), 'db-r2')?.state === 'standby' ? true : undefined));
      assert.equal(await until('demoted: no longer serving', async () => ((await get(port)) === undefined ? true : undefined)), true);
    });

    withDriver('never touches what it does not own', async (f) => {
      const other = await f.foreign();
      await f.driver.apply([]);
      await f.driver.stopAll();
      assert.ok(other.alive());
      other.stop();
    });
  });
}
