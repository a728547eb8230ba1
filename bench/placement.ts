/**
 * Placement benchmark (budgets in docs/benchmarks.md):
 *   1. 100k containers on 10k hosts with hard spread rules, placed in <= 5 s on one core;
 *   2. the reference fleet's full plan plus every single-failure scenario in <= 1 s;
 *   3. the whole `hafen plan FLEET --format json` process on that fleet's YAML in <= 8 s
 *      (reading, validating, placing, risk and the output), and on fleets of 2,000 and 4,000
 *      hosts to show how it grows (skip with --no-process; needs `npm run build`).
 * Run: npm run bench:placement   (or: npx tsx bench/placement.ts [--hosts N --customers N --sites N])
 *
 * Peers: Nomad and kube-scheduler cannot run here (no binaries in the reachable registries and
 * no cluster), so their published throughput is the reference, stated as such:
 *   Nomad C1M challenge: 1,000,000 containers in < 5 minutes, ~3,750 placements/s;
 *   kube-scheduler at 5,000 nodes: ~810 pods/s (basic), ~460 pods/s with topology spread.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateFleet, validateFleetData } from '../src/core/fleet/validate.js';
import { fleetTotals } from '../src/core/fleet/model.js';
import { generateFleet } from '../src/core/generate/fleet.js';
import { schedule } from '../src/core/placement/schedule.js';
import { analyseRisk } from '../src/core/risk/scenarios.js';
import { yamlFiles } from '../test/helpers/paths.js';

const PEERS = [
  { name: 'Nomad (C1M, published)', perSecond: 3750 },
  { name: 'kube-scheduler basic, 5k nodes (published)', perSecond: 810 },
  { name: 'kube-scheduler topology spread, 5k nodes (published)', perSecond: 460 },
];

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

function ms(t: number): string {
  return `${t.toFixed(0)} ms`;
}

// 1. Large synthetic fleet.
const params = { hosts: arg('hosts', 10_000), customers: arg('customers', 13_500), sites: arg('sites', 12), seed: arg('seed', 1) };
let t = performance.now();
// Validated as data (as the API receives it): YAML parsing of a 20 MB file is not what is measured.
const big = validateFleetData([{ name: 'generated', data: generateFleet(params) }]);
if (!big.fleet) throw new Error(`generated fleet invalid: ${big.problems.slice(0, 3).map((p) => p.message).join('; ')}`);
const setup = performance.now() - t;
const totals = fleetTotals(big.fleet);
const replicas = big.fleet.apps.reduce((n, a) => n + a.redundancy.replicas, 0);
const spreadSite = big.fleet.apps.filter((a) => a.redundancy.replicas > 1 && a.redundancy.spreadOver !== 'host').length;
console.log(`fleet: ${totals.hosts} hosts, ${totals.sites} sites, ${totals.customers} customers, ${totals.apps} apps, ${replicas} replicas, ${totals.containers} containers`);
console.log(`       ${spreadSite} apps spread over sites or wider (hard rule), the rest over hosts; generate+validate ${ms(setup)} (not timed below)`);

const runs: number[] = [];
let plan = schedule(big.fleet);
for (let i = 0; i < 3; i++) {
  t = performance.now();
  plan = schedule(big.fleet);
  runs.push(performance.now() - t);
}
const best = Math.min(...runs);
const perSecond = (totals.containers * 1000) / best;
console.log(`\nplacement: best of 3 ${ms(best)} (runs ${runs.map(ms).join(', ')}), ${plan.placements.length} replicas placed, ${plan.unplaced.length} unplaced`);
console.log(`  ${Math.round(perSecond).toLocaleString('en')} containers/s, ${Math.round((replicas * 1000) / best).toLocaleString('en')} replicas/s; budget <= 5000 ms: ${best <= 5000 ? 'met' : 'MISSED'}`);
for (const p of PEERS) console.log(`  vs ${p.name}: ${p.perSecond.toLocaleString('en')}/s -> hafen ${(perSecond / p.perSecond).toFixed(1)}x`);

// 2. Reference fleet: plan plus every single-failure scenario.
const dir = join(import.meta.dirname, '..', 'examples', 'frachtwerk');
const ref = validateFleet(yamlFiles(dir).map((f) => ({ name: f, text: readFileSync(f, 'utf8') })));
if (!ref.fleet) throw new Error('reference fleet invalid');
const refRuns: number[] = [];
let scenarios = 0;
for (let i = 0; i < 5; i++) {
  t = performance.now();
  const p = schedule(ref.fleet);
  scenarios = analyseRisk(ref.fleet, p.placements).scenarios.length;
  refRuns.push(performance.now() - t);
}
const refBest = Math.min(...refRuns);
console.log(`\nreference fleet: plan + ${scenarios} single-failure scenarios in ${ms(refBest)} (best of 5; first run ${ms(refRuns[0]!)}); budget <= 1000 ms: ${refBest <= 1000 ? 'met' : 'MISSED'}`);

// 3. The whole `hafen plan` process on generated fleets' YAML: what an operator waits for.
if (!process.argv.includes('--no-process')) {
  const bin = join(import.meta.dirname, '..', 'bin', 'hafen.js');
  const work = mkdtempSync(join(tmpdir(), 'hafen-bench-plan-'));
  try {
    console.log('\nhafen plan FLEET --format json, the whole process (generate writes the YAML first, not timed):');
    for (const hosts of [2_000, 4_000, params.hosts]) {
      const file = join(work, `fleet-${hosts}.yaml`);
      const gen = spawnSync(process.execPath, [bin, 'generate', '--hosts', String(hosts), '--customers', String(Math.round(hosts * 1.35)), '--sites', String(params.sites), '--seed', String(params.seed), '--out', file], { encoding: 'utf8' });
      if (gen.status !== 0) throw new Error(`hafen generate failed: ${gen.stderr}`);
      t = performance.now();
      const run = spawnSync(process.execPath, [bin, 'plan', file, '--format', 'json'], { encoding: 'utf8', maxBuffer: 1024 ** 3 });
      const took = performance.now() - t;
      if (run.status !== 0 && run.status !== 1) throw new Error(`hafen plan failed (${run.status}): ${run.stderr.slice(0, 500)}`);
      const mb = (statSync(file).size / 1024 ** 2).toFixed(1);
      const budget = hosts === params.hosts ? `; budget <= 8000 ms: ${took <= 8000 ? 'met' : 'MISSED'}` : '';
      console.log(`  ${hosts.toLocaleString('en')} hosts (${mb} MB of YAML): ${ms(took)}${budget}`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
