/**
 * Agent faults with real `hafen agent` processes: killed with SIGKILL, the agent comes back and
 * adopts its units (no second copy of anything); after a simulated reboot (agent and units
 * gone) it starts the units again from its cached desired state while the controller is down.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ProcessDriver } from '../../src/agent/drivers/process.js';
import { HafenClient } from '../../src/client/client.js';
import { processTree } from '../../src/lib/proc.js';
import { startController } from '../../src/controller/main.js';
import { BIN, EXAMPLES, ROOT } from '../helpers/paths.js';
import { fetchText } from '../helpers/http.js';
import { until } from '../helpers/wait.js';
import { loopbackNet } from '../helpers/loopback.js';

const net = loopbackNet();
const ADDR: Record<string, string> = { 'nue-app-01': `${net}.1`, 'nue-app-02': `${net}.2` };
const minimal = readFileSync(join(EXAMPLES, 'minimal.yaml'), 'utf8');

/**
 * Pids that carry HAFEN_UNIT=<unit> (what the driver marks its processes with) among `roots` and
 * everything they started: the agents this test runs and the unit processes it saw them start.
 * A second copy of a unit would be started by a running agent, so it is found too; processes of
 * anyone else on this machine (a demo, another test) are never looked at.
 */
function processesOf(unit: string, roots: readonly number[]): number[] {
  const tree = new Set(roots.flatMap((r) => processTree(r)));
  return [...tree].filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`HAFEN_UNIT=${unit}`);
    } catch {
      return false; // gone
    }
  }).sort((a, b) => a - b);
}

function agentProcess(url: string, data: string, address: string, joinToken?: string): ChildProcess {
  return spawn(process.execPath, [BIN, 'agent', '--controller', url, '--data', data, '--address', address], {
    cwd: ROOT,
    stdio: 'ignore',
    env: { ...process.env, ...(joinToken ? { HAFEN_JOIN_TOKEN: joinToken } : {}) },
  });
}

const exited = (c: ChildProcess) => new Promise<void>((r) => (c.exitCode !== null || c.signalCode !== null ? r() : c.once('exit', () => r())));

test('a killed agent adopts its units without duplicates; after a reboot it runs the cached state without the controller', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hafen-agent-restart-'));
  const data = join(dir, 'controller');
  let controller: Awaited<ReturnType<typeof startController>> | undefined = await startController({ data, listen: '127.0.0.1:0' });
  const url = controller.url;
  const admin = new HafenClient(url, readFileSync(join(data, 'admin.token'), 'utf8').trim());
  const agents = new Map<string, ChildProcess>();
  try {
    await admin.apply([{ name: 'minimal.yaml', text: minimal }], null);
    for (const host of Object.keys(ADDR)) agents.set(host, agentProcess(url, join(dir, host), ADDR[host]!, (await admin.joinToken(host)).token));
    await until('every replica running', async () => ((await admin.status()).apps.every((a) => a.running === a.desired) ? true : undefined));
    const units = (await admin.status()).apps.flatMap((a) => a.units.map((u) => ({ unit: u.unit, host: u.host })));
    /** The pids of the agents this test runs now. */
    const agentPids = () => [...agents.values()].filter((a) => a.exitCode === null && a.signalCode === null).map((a) => a.pid!);
    const pids = new Map(units.map((u) => [u.unit, processesOf(u.unit, agentPids())]));
    /** What to look among: the running agents and the unit processes seen at first. */
    const roots = () => [...agentPids(), ...[...pids.values()].flat()];
    for (const [unit, p] of pids) assert.equal(p.length, 1, `${unit} runs once`);

    // SIGKILL: no chance to clean up. The units keep serving; a new agent adopts them.
    const victim = 'nue-app-01';
    agents.get(victim)!.kill('SIGKILL');
    await exited(agents.get(victim)!);
    assert.match(await fetchText(ADDR[victim]!, 8080), /from huber-shop-r\d/);
    agents.set(victim, agentProcess(url, join(dir, victim), ADDR[victim]!));
    const before = (await admin.status()).hosts.find((h) => h.host === victim)!.lastReport;
    await until('the restarted agent reports', async () => ((await admin.status()).hosts.find((h) => h.host === victim)!.lastReport !== before ? true : undefined));
    await until('every replica running again', async () => ((await admin.status()).apps.every((a) => a.running === a.desired) ? true : undefined));
    for (const u of units) assert.deepEqual(processesOf(u.unit, roots()), pids.get(u.unit), `${u.unit} adopted, not started again`);

    // A reboot: the agent and its units are gone, and so is the controller.
    const rebooted = 'nue-app-02';
    agents.get(rebooted)!.kill('SIGKILL');
    await exited(agents.get(rebooted)!);
    for (const u of units.filter((x) => x.host === rebooted)) for (const pid of pids.get(u.unit)!) process.kill(-pid, 'SIGKILL');
    await until('units of the rebooted host gone', async () => (units.filter((x) => x.host === rebooted).every((u) => processesOf(u.unit, roots()).length === 0) ? true : undefined));
    await controller.close();
    controller = undefined;
    agents.set(rebooted, agentProcess(url, join(dir, rebooted), ADDR[rebooted]!));
    await until('the rebooted host serves from its cached state', async () => ((await fetchText(ADDR[rebooted]!, 8080)).includes('from huber-shop-r') ? true : undefined));
    for (const u of units.filter((x) => x.host === rebooted)) {
      await until(`${u.unit} running once`, async () => (processesOf(u.unit, roots()).length === 1 ? true : undefined));
    }
  } finally {
    for (const a of agents.values()) {
      a.kill('SIGTERM');
      await exited(a);
    }
    for (const host of Object.keys(ADDR)) await ProcessDriver.open({ stateDir: join(dir, host, 'state') }).stopAll();
    await controller?.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
