/**
 * PostgreSQL failover benchmark (budget in docs/benchmarks.md: RTO ≤ 15 s after the site-loss
 * declaration; RPO 0 for a synchronous PostgreSQL app).
 *
 * The setup of test/system/postgres-failover.test.ts (three sites on loopback, Debian's
 * PostgreSQL run by the agents' postgres driver, a critical app: synchronous). A client inserts
 * 20 rows a second, each on a new connection, as a libpq client with every replica listed and
 * target_session_attrs=read-write would: the replica it last wrote to first, then the other; a
 * read-only refusal or no answer within 1 s sends it on. Each round the writer's site is cut off
 * (nftables, its agent stopped); measured: cut → declared lost, declared lost → the first row
 * acknowledged by the new writer (the RTO), and the acknowledged rows the new writer does not
 * have (the RPO: none expected). The site heals, the old writer is rewound; then a switchover
 * back (`POST /v1/apps/APP/failover`): rows lost (none expected) and the time no row was
 * acknowledged. So every round cuts the same writer.
 *
 * Needs root, nft and Debian's PostgreSQL. Run: sudo node --import tsx bench/failover-postgres.ts [--rounds 3]
 * No peer runs here: Kamal, Coolify, Dokploy, CapRover and Portainer do not run PostgreSQL
 * replication or fail it over (that is Patroni's or the operator's job), so this reports
 * against the budget only.
 */
import { PG_APP, PG_SITE, postgresSitesMissing, startPostgresSites, type PostgresSites } from '../test/helpers/postgres-sites.js';
import { sleep, until } from '../test/helpers/wait.js';
import { pacedWrites } from './paced-writes.js';

const arg = (name: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined);
const rounds = Number(arg('--rounds') || 3);

/** Inserts a row every 50 ms, each at the replica that last took one first, then the others (read-only, refused or no answer in 1 s: the next). */
function client(s: PostgresSites, replicas: string[], prefix: string) {
  let last = replicas[0]!;
  return pacedWrites(prefix, async (row) => {
    for (const host of [last, ...replicas.filter((h) => h !== last)]) {
      try {
        await s.query(host, 'INSERT INTO bench (body) VALUES ($1)', [row], { timeoutMs: 1000 });
        last = host;
        return host;
      } catch {
        // the next replica
      }
    }
    return undefined;
  });
}

const fmt = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

async function main(): Promise<void> {
  const missing = postgresSitesMissing();
  if (missing) throw new Error(`this benchmark ${missing}`);
  const s = await startPostgresSites({ table: `hafen_bench_pg_${process.pid}` });
  const results: { rto: number; declared: number; lost: number; acked: number; switchLost: number; switchGap: number }[] = [];
  try {
    const first = await until('the standby streams', async () => {
      const v = await s.view();
      return v.active && v.standbys[0]?.copiedAt ? v : undefined;
    }, 120_000, 200);
    await s.query(first.active!.host, 'CREATE TABLE bench (id bigserial PRIMARY KEY, body text NOT NULL)');
    const rows = async (host: string) => new Set((await s.query(host, 'SELECT body FROM bench')).rows.map((r) => r.body as string));
    for (let round = 1; round <= rounds; round++) {
      const ready = await until('a streaming standby the writer waits for', async () => {
        const v = await s.view();
        const sync = v.active ? (await s.query(v.active.host, 'SELECT sync_state FROM pg_stat_replication', [], { user: 'hafen' })).rows[0]?.sync_state : undefined;
        return v.active && v.standbys[0]?.copiedAt && !v.switching && sync === 'quorum' ? v : undefined;
      }, 120_000, 200);
      const writer = ready.active!.host;
      const standby = ready.standbys[0]!.host;
      const c = client(s, [writer, standby], `r${round}`);
      await sleep(2000 + Math.random() * 3000);
      await s.cut(writer);
      const cutAt = Date.now();
      await until('declared lost', async () => ((await s.admin.checks()).sites.some((x) => x.site === PG_SITE[writer] && x.state === 'lost') ? true : undefined), 60_000, 100);
      const declaredAt = Date.now();
      const firstNew = await until('a row acknowledged by the new writer', async () => c.acks.find((a) => a.at > cutAt && a.by === standby), 60_000, 50);
      await sleep(1000);
      await c.stop();
      const kept = await rows(standby);
      const lost = c.acks.filter((a) => !kept.has(a.id));
      await s.heal(writer);
      await until('the old writer streams from the new one', async () => ((await s.view()).standbys.find((x) => x.host === writer)?.copiedAt ? true : undefined), 120_000, 200);
      const w = client(s, [standby, writer], `r${round}s`);
      await sleep(1000);
      const switched = Date.now();
      await s.admin.failover(PG_APP, PG_SITE[writer]!);
      await until('switched back', async () => {
        const v = await s.view();
        return v.active?.host === writer && !v.switching ? true : undefined;
      }, 120_000, 100);
      await until('a row acknowledged at the old site', async () => w.acks.find((a) => a.at > switched && a.by === writer), 30_000, 50);
      await sleep(500);
      await w.stop();
      const after = await rows(writer);
      const lastOld = Math.max(...w.acks.filter((a) => a.by === standby).map((a) => a.at));
      const firstBack = Math.min(...w.acks.filter((a) => a.by === writer).map((a) => a.at));
      const r = { declared: declaredAt - cutAt, rto: firstNew.at - declaredAt, lost: lost.length, acked: c.acks.length, switchLost: w.acks.filter((a) => !after.has(a.id)).length, switchGap: firstBack - lastOld };
      results.push(r);
      console.log(
        `round ${round}: ${writer} cut; declared lost after ${fmt(r.declared)}; a row at the new writer ${fmt(r.rto)} later (RTO budget 15 s); ` +
          `${r.lost} of ${r.acked} acknowledged rows lost (RPO budget 0); switchover back: ${r.switchLost} rows lost, ${fmt(r.switchGap)} without an acknowledged row`,
      );
    }
  } finally {
    await s.stop();
  }
  const max = (f: (r: (typeof results)[number]) => number) => Math.max(...results.map(f));
  const min = (f: (r: (typeof results)[number]) => number) => Math.min(...results.map(f));
  console.log(`\n${rounds} rounds, synchronous PostgreSQL:`);
  console.log(`  RTO (declared lost → row acknowledged): ${fmt(min((r) => r.rto))}–${fmt(max((r) => r.rto))}; budget 15 s: ${max((r) => r.rto) <= 15_000 ? 'met' : 'MISSED'}`);
  console.log(`  cut → declared lost: ${fmt(min((r) => r.declared))}–${fmt(max((r) => r.declared))}`);
  console.log(`  RPO: ${max((r) => r.lost)} acknowledged rows lost at most; budget 0: ${max((r) => r.lost) === 0 ? 'met' : 'MISSED'}`);
  console.log(`  switchover: ${max((r) => r.switchLost)} rows lost at most; ${fmt(min((r) => r.switchGap))}–${fmt(max((r) => r.switchGap))} without an acknowledged row`);
}

await main();
