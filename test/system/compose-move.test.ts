/**
 * A compose project directory's data moves between hosts: two Docker engines (the machine's,
 * and one of the test's own in a network namespace, each with its own volumes), a real sshd on
 * the source's loopback address, and the agents' move pieces — the target's MoveCopier pulling
 * with rsync over ssh, the source letting its keys in read-only to each volume (rrsync). The
 * project (awesome-compose's gitea-postgres as published, busybox stand-ins by an override of
 * the test's) runs at the source with data in a named volume and a data directory; after a
 * copy while it runs, a stop and the final copy, the target runs it on identical data.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ComposeDriver } from '../../src/agent/drivers/compose.js';
import { moveAuthorizedKeys } from '../../src/agent/move/access.js';
import { MoveCopier } from '../../src/agent/move/copier.js';
import { readComposeProjects, type ReadProject } from '../../src/cli/compose-projects.js';
import { dataOf } from '../../src/core/fleet/model.js';
import { validateFleet } from '../../src/core/fleet/validate.js';
import type { MoveCopyOrder } from '../../src/core/render/move-orders.js';
import { schedule } from '../../src/core/placement/schedule.js';
import { desiredState } from '../../src/core/render/desired.js';
import { BUSYBOX_IMAGE, ensureBusyboxImage, removeComposeProject } from '../helpers/docker.js';
import { loopbackNet } from '../helpers/loopback.js';
import { makeNetns } from '../helpers/netns.js';
import { startNetnsDocker } from '../helpers/netns-docker.js';
import { FIXTURES } from '../helpers/paths.js';
import { sshMovesMissing, startLoopbackSshd } from '../helpers/sshd.js';
import { DOCKER, need, run, works } from '../helpers/system.js';
import { until } from '../helpers/wait.js';

const missing = sshMovesMissing() ?? (works(DOCKER, ['info']) && works('docker-compose', ['version']) && works('ip', ['netns', 'list']) ? undefined : 'needs the Docker engine with docker-compose and ip netns');
if (missing && process.env.HAFEN_REQUIRE_SYSTEM === '1') throw new Error(`required system component missing: ${missing}`);

const PROJECT = 'movegitea';
const UNIT = 'huber-gitea-r1';

const FLEET = `
providers: [{ id: pa }]
facilities: [{ id: f1, operator: pa, country: DE }]
sites: [{ id: nue, provider: pa, facility: f1, country: DE, prefixes: [198.18.0.0/24] }]
siteTemplate: { segments: [{ name: apps, role: apps, prefixLength: 26 }] }
hosts: [{ id: nue-app-01, site: nue, cpu: 4, memory: 8GiB, disk: 100GiB }]
customers: [{ id: huber }]
apps:
  - id: huber-gitea
    customer: huber
    workload: { compose: { project: apps/gitea-postgres, name: ${PROJECT}, data: [./backups] } }
    resources: { cpu: 1, memory: 1GiB }
`;

const OVERRIDE = `services:
  gitea:
    image: ${BUSYBOX_IMAGE}
    init: true
    command: ["sh", "-c", "exec sleep 3600"]
  db:
    image: ${BUSYBOX_IMAGE}
    init: true
    command: ["sh", "-c", "while true; do date +%s%N >> /var/lib/postgresql/data/log; sleep 0.05; done"]
    volumes: ["./backups:/backups"]
`;

/** sha256 of every file below `dir`, by relative path. */
function digests(dir: string, rel = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(join(dir, rel))) {
    const path = rel ? `${rel}/${name}` : name;
    if (statSync(join(dir, path)).isDirectory()) Object.assign(out, digests(dir, path));
    else out[path] = createHash('sha256').update(readFileSync(join(dir, path))).digest('hex');
  }
  return out;
}

test('a compose project directory moves to another host: its named volume and data directory copied while it runs, then stopped, copied again and identical', { timeout: 240_000 }, async (t) => {
  if (!need(t, !missing, missing ?? '')) return;
  ensureBusyboxImage();
  const machine = (args: string[]) => run(DOCKER, args);
  removeComposeProject(PROJECT, machine);
  const dir = mkdtempSync(join(tmpdir(), 'hafen-compose-move-'));
  const ns = makeNetns(78, '198.18.3.2', '198.18.3.1');
  const engine = await startNetnsDocker(ns).catch((err) => {
    ns.close();
    throw err;
  });
  const sshAddress = `${loopbackNet()}.1`;
  const keys = join(dir, 'source_move_keys');
  writeFileSync(keys, '');
  const sshd = await startLoopbackSshd(sshAddress, 2222, join(dir, 'sshd'), keys);
  const logs: string[] = [];
  let projects = new Map<string, ReadProject>();
  const blobs = async (wanted: readonly string[]) => new Map([...projects.values()].flatMap((p) => p.files.filter((f) => wanted.includes(f.digest)).map((f) => [f.digest, p.contents.get(f.path)!] as const)));
  const source = await ComposeDriver.open({ stateDir: join(dir, 'source'), docker: DOCKER, blobs });
  const target = await ComposeDriver.open({ stateDir: join(dir, 'target'), docker: DOCKER, dockerHost: engine.host, blobs });
  const copier = new MoveCopier({ stateDir: join(dir, 'target'), driver: target, log: (l) => logs.push(l), changed: () => {} });
  try {
    const fleetDir = join(dir, 'fleet');
    cpSync(join(FIXTURES, 'compose-projects', 'gitea-postgres'), join(fleetDir, 'apps', 'gitea-postgres'), { recursive: true });
    writeFileSync(join(fleetDir, 'apps', 'gitea-postgres', 'compose.override.yaml'), OVERRIDE);
    const sources = [{ name: join(fleetDir, 'fleet.yaml'), text: FLEET }];
    projects = await readComposeProjects(sources);
    const res = validateFleet(sources, { projects });
    assert.ok(res.fleet, JSON.stringify(res.problems, null, 1));
    const app = res.fleet.apps[0]!;
    const units = desiredState(res.fleet, schedule(res.fleet).placements, 1).get('nue-app-01')!.units;

    // At the source: running, writing into its named volume; a dump in its data directory.
    await source.apply(units);
    const db = () => machine(['ps', '-q', '--filter', `label=com.docker.compose.project=${PROJECT}`, '--filter', 'label=com.docker.compose.service=db']).stdout.trim();
    await until('the source writes', async () => machine(['exec', db(), 'sh', '-c', 'test -s /var/lib/postgresql/data/log']).status === 0 || undefined, 10_000);
    machine(['exec', db(), 'sh', '-c', 'head -c 300000 /dev/urandom > /backups/dump.sql']);

    // The order a target host's agent gets (core/move/copy-orders.ts), with the project's name: nothing of it runs there yet.
    const data = dataOf(app);
    assert.deepEqual(data, ['db_data', 'git_data', './backups']);
    const order = (copy: { id: string; final: boolean }): MoveCopyOrder => ({ migration: 'mig_c1', unit: UNIT, volumes: data, project: { name: PROJECT }, source: { host: 'nue-app-01', address: sshAddress, port: 2222, user: 'root' }, bindAddress: sshAddress, copy });
    // The source lets the target's keys in, each read-only to the directory of its volume (as its agent does).
    const letIn = async () => {
      const resolved = [];
      for (const k of copier.report()?.keys ?? []) {
        const path = (await source.moveVolumes({ name: UNIT }, [k.volume], false)).find((v) => v.name === k.volume)?.path;
        assert.ok(path, `the source has ${k.volume}`);
        resolved.push({ grant: { migration: k.migration, unit: k.unit, volume: k.volume, key: k.key, from: sshAddress }, path });
      }
      const { text, refused } = moveAuthorizedKeys(resolved);
      assert.deepEqual(refused, []);
      writeFileSync(keys, text);
    };
    const copied = async (id: string) => {
      await until(`copy ${id}`, async () => copier.report()?.copies.some((c) => c.id === id && c.state !== 'running') || undefined, 120_000);
      const c = copier.report()!.copies.find((x) => x.id === id)!;
      assert.equal(c.state, 'done', `${c.error ?? ''}\n${logs.join('\n')}`);
      return c;
    };
    await copier.set([order({ id: 'mig_c1/copy-1', final: false })], new Set());
    assert.deepEqual(copier.report()!.keys.map((k) => k.volume).sort(), ['./backups', 'db_data', 'git_data']);
    await letIn();
    const first = await copied('mig_c1/copy-1');
    assert.ok(first.bytes! >= 300000, `bytes: ${first.bytes}`);

    // Stopped at the source, the final copy: every file identical.
    const resume = await source.hold({ name: UNIT });
    await copier.set([order({ id: 'mig_c1/final', final: true })], new Set());
    const final = await copied('mig_c1/final');
    assert.equal(final.identical, true, (final.differences ?? []).join(', '));
    const sourceVolume = machine(['volume', 'inspect', '--format', '{{.Mountpoint}}', `${PROJECT}_db_data`]).stdout.trim();
    const targetVolume = engine.docker(['volume', 'inspect', '--format', '{{.Mountpoint}}', `${PROJECT}_db_data`]).stdout.trim();
    assert.notEqual(sourceVolume, targetVolume);
    assert.deepEqual(digests(targetVolume), digests(sourceVolume));
    const sourceDumps = join(dir, 'source', 'projects', PROJECT, 'files', 'backups');
    const targetDumps = join(dir, 'target', 'projects', PROJECT, 'files', 'backups');
    assert.deepEqual(digests(targetDumps), digests(sourceDumps));

    // The target starts it on that data (its engine adopts the volume the copy filled).
    await copier.set([], new Set());
    await target.apply(units);
    const targetDb = engine.docker(['ps', '-q', '--filter', `label=com.docker.compose.project=${PROJECT}`, '--filter', 'label=com.docker.compose.service=db']).stdout.trim();
    assert.ok(targetDb, 'the project runs at the target');
    const before = readFileSync(join(sourceVolume, 'log'), 'utf8');
    await until('the target writes on', async () => readFileSync(join(targetVolume, 'log'), 'utf8').length > before.length || undefined, 10_000);
    assert.ok(readFileSync(join(targetVolume, 'log'), 'utf8').startsWith(before), 'the target\'s data begins with exactly the source\'s');
    assert.equal(engine.docker(['exec', targetDb, 'sh', '-c', 'wc -c < /backups/dump.sql']).stdout.trim(), '300000');
    await resume();
  } finally {
    copier.stop();
    await source.stopAll().catch(() => {});
    await target.stopAll().catch(() => {});
    removeComposeProject(PROJECT, machine);
    await engine.stop();
    ns.close();
    sshd.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
