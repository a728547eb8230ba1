/**
 * The compose driver against a real Docker engine (Debian's docker.io and docker-compose),
 * with images built locally from busybox-static: the driver contract, and an app with two
 * services and a volume that comes up, is changed (its data survives) and is removed.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ComposeDriver } from '../../src/agent/drivers/compose.js';
import { projectName } from '../../src/core/render/compose.js';
import { APP_LABEL, OWNER_LABEL, UNIT_LABEL, type DesiredUnit } from '../../src/core/render/desired.js';
import { withRole } from '../../src/core/standby/overlay.js';
import { contentHash } from '../../src/core/util/canonical.js';
import { driverContract } from '../contract/driver.js';
import { BUSYBOX_IMAGE, ensureBusyboxImage } from '../helpers/docker.js';
import { DOCKER, run, works } from '../helpers/system.js';
import { until } from '../helpers/wait.js';

const dockerUp = works(DOCKER, ['info']) && (works('docker-compose', ['version']) || works(DOCKER, ['compose', 'version']));
if (!dockerUp && process.env.HAFEN_REQUIRE_SYSTEM === '1') throw new Error('required system component missing: a Docker engine with compose (run scripts/install-system-deps.sh and scripts/start-services.sh)');

// init: true gives the test services a PID 1 that forwards SIGTERM, so stops take a moment, not the 10 s grace.
function composeUnit(name: string, services: Record<string, Record<string, unknown>>, volumes?: string[], variables?: Record<string, string>): DesiredUnit {
  const app = name.replace(/-r\d+$/, '');
  const labels = { [OWNER_LABEL]: 'true', [APP_LABEL]: app, [UNIT_LABEL]: name };
  const compose = {
    name: `hafen-${name}`,
    services: Object.fromEntries(Object.entries(services).map(([k, v]) => [k, { image: BUSYBOX_IMAGE, restart: 'unless-stopped', init: true, ...v, labels }])),
    ...(volumes ? { volumes: Object.fromEntries(volumes.map((v) => [v, { labels }])) } : {}),
    ...(variables ? { variables } : {}),
  };
  const unit = { name, app, customer: 'c', replica: 1, kind: 'compose' as const, compose };
  return { ...unit, hash: contentHash(unit) };
}

const serve = (body: string, port: number) => ({
  // "$$": the shell's variable, not Compose's (Compose interpolates "$BODY" itself).
  command: ['sh', '-c', 'mkdir -p /www && printf %s "$$BODY" > /www/index.html && exec httpd -f -p 8080 -h /www'],
  environment: { BODY: body },
  ports: [`127.0.0.1:${port}:8080`],
});

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

if (dockerUp) {
  ensureBusyboxImage();
  driverContract('compose', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hafen-compose-'));
    let driver = await ComposeDriver.open({ stateDir: dir, docker: DOCKER });
    return {
      get driver() {
        return driver;
      },
      httpUnit: (name, port, body) => composeUnit(name, { web: serve(body, port) }),
      // The busybox image has a shell and no Node.
      script: (out, err, code) => ['sh', '-c', `printf '%s\\n' '${out}'; printf '%s\\n' '${err}' >&2; exit ${code}`],
      crashingUnit: (name) => composeUnit(name, { bad: { command: ['sh', '-c', 'exit 3'] } }),
      restartAgent: async () => {
        await driver.detach();
        driver = await ComposeDriver.open({ stateDir: dir, docker: DOCKER });
        return driver;
      },
      foreign: async () => {
        const name = `not-hafen-${process.pid}`;
        run(DOCKER, ['run', '-d', '--name', name, BUSYBOX_IMAGE, 'sleep', '600']);
        return {
          alive: () => run(DOCKER, ['inspect', '-f', '{{.State.Running}}', name]).stdout.trim() === 'true',
          stop: () => void run(DOCKER, ['rm', '-f', name]),
        };
      },
      freePort,
      cleanup: async () => {
        await driver.stopAll();
        // Volumes outlive their projects (data is never removed by the driver): the contract's go here.
        run(DOCKER, ['volume', 'rm', '-f', `${projectName('moved-r1')}_data`]);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  });
} else {
  test('compose driver contract', (t) => t.skip('no Docker engine with compose here (run scripts/install-system-deps.sh and scripts/start-services.sh)'));
}

test('an app with two services and a volume comes up, keeps its data through a change, and is removed', { skip: !dockerUp && 'no Docker engine with compose here' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hafen-compose-'));
  const driver = await ComposeDriver.open({ stateDir: dir, docker: DOCKER });
  const port = await freePort();
  const name = `shop-${process.pid}-r1`;
  // "db" writes a counter into the volume once; "web" serves what is in the volume.
  const make = (greeting: string) =>
    composeUnit(
      name,
      {
        db: { command: ['sh', '-c', '[ -f /data/first ] || date +%s%N > /data/first; exec sleep 3600'], volumes: ['data:/data'] },
        web: { command: ['sh', '-c', `mkdir -p /www && while true; do printf '%s %s' "${greeting}" "$$(cat /data/first 2>/dev/null)" > /www/index.html; sleep 0.2; done & exec httpd -f -p 8080 -h /www`], volumes: ['data:/data'], ports: [`127.0.0.1:${port}:8080`] },
      },
      ['data'],
    );
  const read = async (want: string) => {
    for (let i = 0; i < 100; i++) {
      const body = await fetch(`http://127.0.0.1:${port}/`).then((r) => r.text(), () => '');
      if (body.startsWith(want) && body.length > want.length + 1) return body;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`web never served "${want} ..."`);
  };
  try {
    await driver.apply([make('hello')]);
    const first = await read('hello');
    assert.deepEqual((await driver.status()).map((s) => [s.name, s.state]), [[name, 'running']]);
    await driver.apply([make('changed')]);
    const second = await read('changed');
    assert.equal(second.split(' ')[1], first.split(' ')[1], 'the volume kept its data through the change');
    await driver.apply([]);
    assert.deepEqual(await driver.status(), []);
    const volumes = run(DOCKER, ['volume', 'ls', '-q', '--filter', `label=${UNIT_LABEL}=${name}`]).stdout.trim();
    assert.ok(volumes.length > 0, 'removing the app keeps its volume (data is never deleted by a plan)');
  } finally {
    await driver.stopAll();
    for (const v of run(DOCKER, ['volume', 'ls', '-q', '--filter', `label=${UNIT_LABEL}=${name}`]).stdout.split('\n').filter(Boolean)) run(DOCKER, ['volume', 'rm', v]);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('two agents on one Docker engine (the compose demo, a test beside it) leave each other\'s projects alone', { skip: !dockerUp && 'no Docker engine with compose here' }, async () => {
  const [dirA, dirB] = [mkdtempSync(join(tmpdir(), 'hafen-compose-a-')), mkdtempSync(join(tmpdir(), 'hafen-compose-b-'))];
  const [a, b] = [await ComposeDriver.open({ stateDir: dirA, docker: DOCKER }), await ComposeDriver.open({ stateDir: dirB, docker: DOCKER })];
  const [portA, portB] = [await freePort(), await freePort()];
  const [unitA, unitB] = [`own-${process.pid}-r1`, `other-${process.pid}-r1`];
  const serving = async (port: number) => fetch(`http://127.0.0.1:${port}/`).then((r) => r.ok, () => false);
  try {
    await a.apply([composeUnit(unitA, { web: serve('a', portA) })]);
    await b.apply([composeUnit(unitB, { web: serve('b', portB) })]);
    for (let i = 0; i < 100 && !((await serving(portA)) && (await serving(portB))); i++) await new Promise((r) => setTimeout(r, 100));
    // A applies again (its desired state changed): B's project is not A's to remove.
    await a.apply([composeUnit(unitA, { web: serve('a2', portA) })]);
    assert.deepEqual((await a.status()).map((s) => s.name), [unitA], 'A reports only its own units');
    assert.deepEqual((await b.status()).map((s) => [s.name, s.state]), [[unitB, 'running']]);
    await a.stopAll();
    assert.deepEqual((await a.status()).map((s) => s.name), []);
    assert.deepEqual((await b.status()).map((s) => [s.name, s.state]), [[unitB, 'running']], 'A stopping everything stops only its own');
    assert.ok(await serving(portB));
  } finally {
    await a.stopAll();
    await b.stopAll();
    rmSync(dirA, { recursive: true, force: true });
    rmSync(dirB, { recursive: true, force: true });
  }
});

test('variables as Compose interpolates them: the app\'s env and secrets, defaults, "$$" for a dollar sign, nothing from the agent\'s environment', { skip: !dockerUp && 'no Docker engine with compose here' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hafen-compose-vars-'));
  const name = `vars-${process.pid}-r1`;
  process.env.HAFEN_TEST_LEAK = 'from the agent';
  const driver = await ComposeDriver.open({ stateDir: dir, docker: DOCKER });
  try {
    const unit = composeUnit(
      name,
      {
        app: {
          command: ['sleep', '3600'],
          environment: {
            MESSAGE: '${GREETING}, ${WHO:-world}: $$HOME stays',
            DSN: 'postgres://app:${DB_PASSWORD}@db/app',
            LEAK: '${HAFEN_TEST_LEAK:-none}',
          },
        },
      },
      undefined,
      { GREETING: 'Guten Tag' },
    );
    await driver.apply([{ ...unit, secretValues: { DB_PASSWORD: 'pa$$w0rd' } }]);
    const id = run(DOCKER, ['ps', '-q', '--filter', `label=${UNIT_LABEL}=${name}`]).stdout.trim();
    assert.ok(id, 'the container runs');
    const env = (key: string) => run(DOCKER, ['exec', id, 'sh', '-c', `printf %s "$${key}"`]).stdout;
    assert.equal(env('MESSAGE'), 'Guten Tag, world: $HOME stays');
    assert.equal(env('DSN'), 'postgres://app:pa$$w0rd@db/app', 'a secret is interpolated as it is: its "$" are not Compose\'s');
    assert.equal(env('DB_PASSWORD'), 'pa$$w0rd', 'and given to every service as a literal');
    assert.equal(env('LEAK'), 'none', 'Compose sees only the unit\'s variables, not the agent\'s environment');
    // Compose reads the file again for later commands (stop for a backup, start): the variables are kept beside it.
    await driver.stopAll();
    assert.deepEqual(await driver.status(), []);
  } finally {
    delete process.env.HAFEN_TEST_LEAK;
    await driver.stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a project\'s own networks and volume definitions reach Compose, with hafen\'s labels', { skip: !dockerUp && 'no Docker engine with compose here' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hafen-compose-sections-'));
  const name = `sections-${process.pid}-r1`;
  const driver = await ComposeDriver.open({ stateDir: dir, docker: DOCKER });
  const labels = { [OWNER_LABEL]: 'true', [APP_LABEL]: name.replace(/-r\d+$/, ''), [UNIT_LABEL]: name };
  const base = composeUnit(name, { app: { command: ['sleep', '3600'], networks: ['backend'], volumes: ['data:/data'] } });
  const compose = { ...base.compose!, volumes: { data: { driver: 'local', labels: { team: 'web', ...labels } } }, networks: { backend: { internal: true, labels } } };
  const unit = { ...base, compose, hash: contentHash({ ...base, compose }) };
  try {
    await driver.apply([unit]);
    const id = run(DOCKER, ['ps', '-q', '--filter', `label=${UNIT_LABEL}=${name}`]).stdout.trim();
    assert.ok(id, 'the container runs');
    const networks = Object.keys(JSON.parse(run(DOCKER, ['inspect', '-f', '{{json .NetworkSettings.Networks}}', id]).stdout) as Record<string, unknown>);
    assert.deepEqual(networks, [`${projectName(name)}_backend`], 'on the project\'s own network only');
    assert.equal(run(DOCKER, ['network', 'inspect', '-f', '{{.Internal}}', `${projectName(name)}_backend`]).stdout.trim(), 'true');
    assert.equal(run(DOCKER, ['volume', 'inspect', '-f', '{{index .Labels "team"}}', `${projectName(name)}_data`]).stdout.trim(), 'web', 'the user\'s volume labels beside hafen\'s');
  } finally {
    await driver.stopAll();
    run(DOCKER, ['volume', 'rm', '-f', `${projectName(name)}_data`]);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a standby that Docker starts again (restart: always after a daemon restart, or by hand) is stopped at the next report', { skip: !dockerUp && 'no Docker engine with compose here' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hafen-compose-'));
  const logs: string[] = [];
  const driver = await ComposeDriver.open({ stateDir: dir, docker: DOCKER, log: (l) => logs.push(l) });
  const port = await freePort();
  const name = `ledger-${process.pid}-r2`;
  const plain = composeUnit(name, { web: { ...serve('the writer', port), restart: 'always' } });
  const standby = withRole(plain, { app: plain.app, term: 1, active: plain.replica + 1 }, []);
  const serving = () => fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(1000) }).then((r) => r.text(), () => undefined);
  try {
    await driver.apply([standby]);
    assert.deepEqual((await driver.status()).map((s) => [s.name, s.state]), [[name, 'standby']]);
    const id = run(DOCKER, ['ps', '-aq', '--filter', `label=${UNIT_LABEL}=${name}`]).stdout.trim();
    assert.ok(id, 'its container is made');
    // What dockerd does to a restart: always container when it starts again.
    assert.equal(run(DOCKER, ['start', id]).status, 0);
    assert.equal(await until('the woken standby serving', async () => ((await serving()) === 'the writer' ? true : undefined), 20_000, 100), true);
    assert.deepEqual((await driver.status()).map((s) => [s.name, s.state]), [[name, 'standby']], 'the next report stops it');
    assert.equal(run(DOCKER, ['inspect', '-f', '{{.State.Running}}', id]).stdout.trim(), 'false');
    assert.equal(await serving(), undefined);
    assert.match(logs.join('\n'), new RegExp(`standby ${name}: found running .*stopped`));
  } finally {
    await driver.stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
});
