/**
 * Stateful failover benchmark (budget in docs/benchmarks.md: RTO ≤ 15 s after the site-loss
 * declaration; RPO = the app's stated replication interval).
 *
 * The setup of test/system/standby-failover.test.ts (three sites on loopback, a real sshd per
 * host, a notes app that fsyncs each answered write, a standby copying every `--every`). A client
 * writes through the edge proxy 20 times a second, each write a new connection, and records
 * which address answered. Each round, at a random point of the copy cycle, the writer's site is
 * cut off (nftables, its agent stopped); measured: cut → declared lost, declared lost → the
 * first write answered by the new writer (the RTO), and the writes the old writer answered that
 * the new one does not have (the RPO, in writes and in seconds before the cut). The site heals,
 * the old writer is fenced; then a switchover back (`POST /v1/apps/APP/failover`): the writes
 * lost (none expected) and the time no write was answered. The next round cuts the new writer.
 *
 * Needs root, nft, sshd, ssh and rsync. Run: sudo node --import tsx bench/failover.ts [--rounds 3] [--every 5s]
 * No peer runs here: Kamal, Coolify, Dokploy, CapRover and Portainer have no failover of an
 * app's data between servers (their answer is a restore from a backup by hand), so this reports
 * against the budget only.
 */
import { APP, SITE, standbySitesMissing, startStandbySites, type StandbySites } from '../test/helpers/standby-sites.js';
import { sleep, until } from '../test/helpers/wait.js';
import { pacedWrites } from './paced-writes.js';

const arg = (name: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined);
const rounds = Number(arg('--rounds') || 3);
const every = arg('--every') || '5s';
const everyMs = Number(/^(\d+)s$/.exec(every)?.[1] ?? NaN) * 1000;
if (!(everyMs >= 5000)) throw new Error('--every takes whole seconds, at least 5s (e.g. 5s)');

/** Writes through the proxy every 50 ms; acknowledged by the address that answered 201. */
const client = (s: StandbySites, prefix: string) => pacedWrites(prefix, async (note) => {
  const r = await s.write(note);
  return r.status === 201 ? String(r.headers['x-written-by']) : undefined;
});

const fmt = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

async function main(): Promise<void> {
  const missing = standbySitesMissing();
  if (missing) throw new Error(`this benchmark ${missing} (root, nft, sshd, ssh, rsync)`);
  const s = await startStandbySites({ table: `hafen_bench_failover_${process.pid}`, replicateEvery: every, rpo: `${(3 * everyMs) / 1000}s` });
  const results: { rto: number; declared: number; lost: number; lostSpan: number; copyAge: number; switchLost: number; switchGap: number }[] = [];
  try {
    for (let round = 1; round <= rounds; round++) {
      const ready = await until('a standby with a copy', async () => {
        const v = await s.view();
        return v.active && v.standbys[0]?.copiedAt && !v.switching ? v : undefined;
      }, 90_000, 200);
      const writer = ready.active!.host;
      const standby = ready.standbys[0]!.host;
      const c = client(s, `r${round}`);
      // Anywhere in the copy cycle.
      await sleep(2000 + Math.random() * everyMs);
      const copiedAt = Date.parse((await s.view()).standbys[0]!.copiedAt!);
      await s.cut(writer);
      const cutAt = Date.now();
      await until('declared lost', async () => ((await s.admin.checks()).sites.some((x) => x.site === SITE[writer] && x.state === 'lost') ? true : undefined), 60_000, 100);
      const declaredAt = Date.now();
      const first = await until('a write answered by the new writer', async () => c.acks.find((a) => a.at > cutAt && a.by === s.address[standby]), 60_000, 50);
      await sleep(1000);
      await c.stop();
      await s.heal(writer);
      await until('the old writer fenced', async () => ((await s.admin.status()).apps.find((a) => a.app === APP)!.units.find((u) => u.host === writer)?.state === 'standby' ? true : undefined), 60_000, 200);
      const kept = new Set((await s.notes()).lines);
      const lost = c.acks.filter((a) => a.by === s.address[writer] && a.at <= cutAt && !kept.has(a.id));
      // The switchover back: writes lost (none expected) and the time no write was answered.
      const w = client(s, `r${round}s`);
      await sleep(1000);
      const switched = Date.now();
      await s.admin.failover(APP, SITE[writer]!);
      await until('switched back', async () => {
        const v = await s.view();
        return v.active?.host === writer && !v.switching ? true : undefined;
      }, 120_000, 100);
      await until('a write answered at the old site', async () => w.acks.find((a) => a.at > switched && a.by === s.address[writer]), 30_000, 50);
      await sleep(500);
      await w.stop();
      const after = new Set((await s.notes()).lines);
      const switchLost = w.acks.filter((a) => !after.has(a.id)).length;
      const lastOld = Math.max(...w.acks.filter((a) => a.by === s.address[standby]).map((a) => a.at));
      const firstNew = Math.min(...w.acks.filter((a) => a.by === s.address[writer]).map((a) => a.at));
      const r = { declared: declaredAt - cutAt, rto: first.at - declaredAt, lost: lost.length, lostSpan: lost.length ? cutAt - Math.min(...lost.map((a) => a.at)) : 0, copyAge: cutAt - copiedAt, switchLost, switchGap: firstNew - lastOld };
      results.push(r);
      console.log(
        `round ${round}: ${writer} cut; declared lost after ${fmt(r.declared)}; a write at the new writer ${fmt(r.rto)} later (RTO budget 15 s); ` +
          `${r.lost} acknowledged writes lost, the last ${fmt(r.lostSpan)} before the cut (the standby's copy was ${fmt(r.copyAge)} old; interval ${every}); ` +
          `switchover back: ${r.switchLost} writes lost, ${fmt(r.switchGap)} without an answered write`,
      );
    }
  } finally {
    await s.stop();
  }
  const max = (f: (r: (typeof results)[number]) => number) => Math.max(...results.map(f));
  const min = (f: (r: (typeof results)[number]) => number) => Math.min(...results.map(f));
  console.log(`\n${rounds} rounds, copies every ${every}:`);
  console.log(`  RTO (declared lost → write accepted): ${fmt(min((r) => r.rto))}–${fmt(max((r) => r.rto))}; budget 15 s: ${max((r) => r.rto) <= 15_000 ? 'met' : 'MISSED'}`);
  console.log(`  cut → declared lost: ${fmt(min((r) => r.declared))}–${fmt(max((r) => r.declared))}`);
  console.log(`  RPO: ${min((r) => r.lost)}–${max((r) => r.lost)} writes lost, at most the last ${fmt(max((r) => r.lostSpan))} before the cut; budget ${every} (the interval) + one copy's duration: ${max((r) => r.lostSpan) <= everyMs + 2000 ? 'met' : 'MISSED'}`);
  console.log(`  switchover: ${max((r) => r.switchLost)} writes lost at most; ${fmt(min((r) => r.switchGap))}–${fmt(max((r) => r.switchGap))} without an answered write`);
}

await main();
