/**
 * `hafen demo load`: steady traffic through the demo's edge proxies, as clients would send
 * it, so the traffic history has data and a failover shows in numbers. Every app with a
 * domain gets an equal share; each app's requests go round-robin over the proxies of every
 * site that answer, as a DNS load balancer that checks the edge addresses every second would
 * hand them out (a proxy answers an unknown host name itself, so the check tells nothing of
 * the apps behind it). A request that gets no answer from one proxy is sent to the next: an
 * edge retry, not a failure. A request fails when no proxy answers it, or the proxy answers
 * with an error status (5xx: it had no replica left to send it to).
 *
 * The demo's meter counter (when the demo runs PostgreSQL) gets POST /count and GET /count in
 * turn, and every answer is checked against what this client saw before the request was sent:
 * an increment must answer more than any count already seen, a read at least as much
 * (read-your-writes). An answer below that is a count that went back — a failover that lost an
 * acknowledged write — and fails the run.
 */
import type { Command } from 'commander';
import { parseDuration } from '../core/fleet/schema/monitoring.js';
import { httpRequest } from '../lib/http.js';
import { DEMO_DATABASE } from './demo-fleet.js';
import { demoAdmin, readDemo } from './demo-state.js';
import { EXIT, json, parseFormat, type CliIo, type OutputFormat } from './io.js';

interface LoadOptions {
  data: string;
  rate: string;
  duration?: string;
  timeout: string;
  every: string;
  app?: string[];
  format: OutputFormat;
}

interface Target {
  app: string;
  customer: string;
  critical: boolean;
  domain: string;
}

/** The counter's answers: how many, and how many went back below what was seen before they were sent. */
interface CounterTally {
  writes: number;
  reads: number;
  backwards: number;
  /** The highest count an answer has shown so far. */
  seen: number;
  firstBackwards?: string;
}

interface Tally {
  sent: number;
  ok: number;
  failed: number;
  edgeRetries: number;
  ms: number[];
  lastError?: string;
}

/** How often each edge address is checked, and how long its answer may take. */
const EDGE_CHECK_MS = 1000;

const tally = (): Tally => ({ sent: 0, ok: 0, failed: 0, edgeRetries: 0, ms: [] });

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function summary(t: Tally) {
  const ms = [...t.ms].sort((a, b) => a - b);
  return { sent: t.sent, ok: t.ok, failed: t.failed, edgeRetries: t.edgeRetries, p50Ms: Math.round(percentile(ms, 50)), p99Ms: Math.round(percentile(ms, 99)), maxMs: Math.round(ms.at(-1) ?? 0), ...(t.lastError ? { lastError: t.lastError } : {}) };
}

function positive(value: string | undefined, what: string, parse: (v: string) => number | undefined): number {
  const n = value === undefined ? undefined : parse(value);
  if (n === undefined || !Number.isFinite(n) || n <= 0) throw new Error(`${what} must be a positive ${what === '--rate' ? 'number' : 'duration such as 30s or 5m'}, not "${value}"`);
  return n;
}

export function registerDemoLoad(demo: Command, io: CliIo, setExit: (code: number) => void): void {
  demo
    .command('load')
    .description('Send steady GET traffic to every app of the running demo through the edge proxies of all sites; prints ok, failed and edge retries as it goes and a summary per app at the end (Ctrl-C or --duration). The meter counter (with PostgreSQL) gets increments and reads, checked never to go back. Exit 1 when a request to a critical app failed or the count went back.')
    .option('--data <dir>', 'the running demo\'s data directory', '.hafen-demo')
    .option('--rate <n>', 'requests per second, over all apps', '20')
    .option('--duration <duration>', 'stop after this long, e.g. 60s or 10m (default: until Ctrl-C)')
    .option('--timeout <duration>', 'how long one edge address may take to answer before the next is tried', '3s')
    .option('--every <duration>', 'how often to print a line of progress', '5s')
    .option('--app <id...>', 'only these apps')
    .option('--format <format>', 'output format of the summary: text or json', parseFormat, 'text' as OutputFormat)
    .action(async (opts: LoadOptions) => setExit(await load(opts, io)));
}

/** The count in the counter's answer ({"n": 42}); NaN when it holds none. */
function countOf(body: string): number {
  try {
    return Number((JSON.parse(body) as { n?: unknown }).n);
  } catch {
    return NaN;
  }
}

/** One answer of the counter against what was seen before its request was sent. */
function checkCount(c: CounterTally, req: { write: boolean; floor: number }, n: number): void {
  if (req.write) c.writes++;
  else c.reads++;
  if (!Number.isFinite(n)) return;
  if (req.write ? n <= req.floor : n < req.floor) {
    c.backwards++;
    c.firstBackwards ??= `${new Date().toISOString().slice(11, 19)}: ${req.write ? 'an increment' : 'a read'} answered ${n} after ${req.floor} had been seen`;
  }
  c.seen = Math.max(c.seen, n);
}

async function load(opts: LoadOptions, io: CliIo): Promise<number> {
  let targets: Target[];
  let proxies: string[];
  let rate: number;
  let timeoutMs: number;
  let everyMs: number;
  let durationMs: number | undefined;
  try {
    rate = positive(opts.rate, '--rate', Number);
    if (rate > 2000) throw new Error(`--rate ${rate} is more than this load generator sends (2000 per second)`);
    timeoutMs = positive(opts.timeout, '--timeout', parseDuration);
    everyMs = positive(opts.every, '--every', parseDuration);
    durationMs = opts.duration === undefined ? undefined : positive(opts.duration, '--duration', parseDuration);
    const state = readDemo(opts.data);
    const st = await demoAdmin(opts.data, state.controller).status();
    targets = st.apps.filter((a) => a.domains.length > 0 && (!opts.app || opts.app.includes(a.app))).map((a) => ({ app: a.app, customer: a.customer, critical: a.critical, domain: a.domains[0]! }));
    const unknown = (opts.app ?? []).filter((a) => !st.apps.some((x) => x.app === a));
    if (unknown.length > 0) throw new Error(`unknown app(s) ${unknown.join(', ')}; the demo runs ${st.apps.map((a) => a.app).join(', ')}`);
    if (targets.length === 0) throw new Error('no app with a domain to send traffic to');
    proxies = [...new Set(state.hosts.map((h) => h.proxy.url))];
  } catch (err) {
    io.stderr(`error: ${(err as Error).message}\n`);
    return EXIT.invalid;
  }

  const total = new Map(targets.map((t) => [t.app, tally()]));
  let window = tally();
  // The edge addresses that answered their last check (all of them until checked).
  const edgeUp = new Map(proxies.map((p) => [p, true]));
  const checkEdges = () =>
    proxies.forEach((p) =>
      void httpRequest(new URL('/', p), { headers: { host: 'edge-check.hafen.invalid' }, timeoutMs: EDGE_CHECK_MS }).then(
        () => edgeUp.set(p, true),
        () => edgeUp.set(p, false),
      ),
    );
  checkEdges();
  const checker = setInterval(checkEdges, EDGE_CHECK_MS);
  let inflight = 0;
  let n = 0;
  const counter: CounterTally = { writes: 0, reads: 0, backwards: 0, seen: 0 };
  const isCounter = (t: Target) => t.app === DEMO_DATABASE.counter;

  const once = async (target: Target, i: number) => {
    const t = total.get(target.app)!;
    t.sent++;
    window.sent++;
    inflight++;
    const started = performance.now();
    // Each app's requests take the edge addresses in turn; the ones that answer their check first.
    const turn = Math.floor(i / targets.length);
    const order = proxies.map((_, k) => proxies[(turn + k) % proxies.length]!).sort((a, b) => Number(!edgeUp.get(a)) - Number(!edgeUp.get(b)));
    let outcome: 'ok' | 'failed' = 'failed';
    // The counter: increments and reads in turn, each checked against the count seen before it was sent.
    const count = isCounter(target) ? { write: Math.floor(i / targets.length) % 2 === 0, floor: counter.seen } : undefined;
    for (const [k, proxy] of order.entries()) {
      if (k > 0) {
        t.edgeRetries++;
        window.edgeRetries++;
      }
      try {
        const r = await httpRequest(new URL(count ? '/count' : '/', proxy), { headers: { host: target.domain, 'user-agent': 'hafen-demo-load' }, timeoutMs, ...(count?.write ? { method: 'POST', body: '' } : {}) });
        if (r.status >= 400) t.lastError = `${r.status} from ${proxy}`;
        outcome = r.status < 400 ? 'ok' : 'failed';
        if (count && r.status === 200) checkCount(counter, count, countOf(r.body));
        break;
      } catch (err) {
        t.lastError = `${proxy}: ${(err as Error).message}`;
      }
    }
    const ms = performance.now() - started;
    for (const x of [t, window]) {
      x[outcome]++;
      x.ms.push(ms);
    }
    inflight--;
  };

  io.stderr(`sending ${rate} requests/s to ${targets.map((t) => t.app).join(', ')} through ${proxies.join(', ')}${durationMs ? ` for ${durationMs / 1000} s` : ''}; Ctrl-C stops\n`);
  const began = Date.now();
  let stop = false;
  const onSignal = () => (stop = true);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const pacer = setInterval(() => {
    if (stop) return;
    const due = Math.floor(((Date.now() - began) / 1000) * rate);
    while (n < due) {
      void once(targets[n % targets.length]!, n);
      n++;
    }
    if (durationMs !== undefined && Date.now() - began >= durationMs) stop = true;
  }, 10);
  const printer = setInterval(() => {
    const s = summary(window);
    window = tally();
    if (opts.format === 'text') io.stdout(`${new Date().toISOString().slice(11, 19)}  sent ${s.sent}  ok ${s.ok}  failed ${s.failed}  edge retries ${s.edgeRetries}  p50 ${s.p50Ms} ms  p99 ${s.p99Ms} ms  max ${s.maxMs} ms${s.failed ? '  <- FAILED REQUESTS' : ''}\n`);
  }, everyMs);
  while (!stop) await new Promise((r) => setTimeout(r, 50));
  clearInterval(pacer);
  // Requests in flight still count: wait for them (each ends within the timeout per proxy).
  const drainUntil = Date.now() + timeoutMs * proxies.length + 1000;
  while (inflight > 0 && Date.now() < drainUntil) await new Promise((r) => setTimeout(r, 50));
  clearInterval(printer);
  clearInterval(checker);
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);

  const apps = targets.map((t) => ({ app: t.app, customer: t.customer, critical: t.critical, ...summary(total.get(t.app)!) }));
  const all = summary([...total.values()].reduce((a, b) => ({ sent: a.sent + b.sent, ok: a.ok + b.ok, failed: a.failed + b.failed, edgeRetries: a.edgeRetries + b.edgeRetries, ms: [...a.ms, ...b.ms] }), tally()));
  const criticalFailed = apps.filter((a) => a.critical).reduce((s, a) => s + a.failed, 0);
  const counted = targets.some(isCounter) ? { writes: counter.writes, reads: counter.reads, backwards: counter.backwards, highest: counter.seen, ...(counter.firstBackwards ? { firstBackwards: counter.firstBackwards } : {}) } : undefined;
  if (opts.format === 'json') io.stdout(json({ seconds: Math.round((Date.now() - began) / 100) / 10, ...all, criticalFailed, apps, ...(counted ? { counter: counted } : {}) }));
  else {
    const label = (a: { app: string; critical: boolean }) => `${a.app}${a.critical ? ' (critical)' : ''}`;
    const width = Math.max(3, ...apps.map((a) => label(a).length));
    const row = (name: string, x: ReturnType<typeof summary>) =>
      `${name.padEnd(width)} ${String(x.sent).padStart(7)} ${String(x.ok).padStart(7)} ${String(x.failed).padStart(7)} ${String(x.edgeRetries).padStart(13)} ${`${x.p50Ms} ms`.padStart(8)} ${`${x.p99Ms} ms`.padStart(8)}`;
    const lines = ['', `${'app'.padEnd(width)} ${'sent'.padStart(7)} ${'ok'.padStart(7)} ${'failed'.padStart(7)} ${'edge retries'.padStart(13)} ${'p50'.padStart(8)} ${'p99'.padStart(8)}`];
    for (const a of apps) lines.push(`${row(label(a), a)}${a.failed && a.lastError ? `  last error: ${a.lastError}` : ''}`);
    lines.push(row('all', all));
    lines.push(criticalFailed === 0 ? 'critical apps: no failed request' : `critical apps: ${criticalFailed} failed request(s)`);
    if (counted) lines.push(`counter (${DEMO_DATABASE.counter}): ${counted.writes} increments and ${counted.reads} reads answered, up to ${counted.highest}; ${counted.backwards === 0 ? 'never went back' : `went back ${counted.backwards} time(s), first ${counted.firstBackwards}`}`);
    io.stdout(`${lines.join('\n')}\n`);
  }
  return criticalFailed === 0 && !counted?.backwards ? EXIT.ok : EXIT.invalid;
}
