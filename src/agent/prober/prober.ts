/**
 * Runs a set of probes forever, each every `intervalMs`, spread evenly over the interval: a
 * probe's phase comes from a hash of its id, so 10,000 checks every 30 s start at about 333
 * a second rather than all at once, and the same check keeps its slot when the set changes.
 * A min-heap of due times drives one timer; at most `concurrency` probes run at once (a probe
 * that would exceed it waits, and the wait shows as lateness).
 *
 * Results go to `onResult`; lateness (actual start − scheduled start) is kept in a ring of
 * the last samples for the prober's metrics and the benchmark.
 */
import { createHash } from 'node:crypto';
import type { Probe } from '../../core/monitor/checks.js';
import { IndexedMinHeap } from '../../core/util/heap.js';
import { runProbe, type ProbeResult } from './probe.js';

export interface ProbeReport extends ProbeResult {
  check: string;
  /** When it started (ms since the epoch). */
  at: number;
}

export interface ProberOptions {
  /** Source address of the probes (the host's own address). */
  localAddress?: string;
  /** Probes running at once at most (default 1,000). */
  concurrency?: number;
  onResult: (r: ProbeReport) => void;
  /** Runs a probe; tests and the benchmark may count calls. Default: runProbe. */
  run?: typeof runProbe;
}

/** Offset of a probe inside its interval, from its id: stable and evenly spread. */
export function phaseOf(id: string, intervalMs: number): number {
  return createHash('sha1').update(id).digest().readUInt32BE(0) % intervalMs;
}

const LATENESS_SAMPLES = 20_000;

export class Prober {
  private probes: Probe[] = [];
  private heap = new IndexedMinHeap(0);
  private timer: NodeJS.Timeout | undefined;
  private running = 0;
  private stopped = false;
  private readonly concurrency: number;
  private readonly lateness = new Float64Array(LATENESS_SAMPLES);
  private latenessCount = 0;
  /** Probes started and finished since the start. */
  started = 0;
  finished = 0;

  constructor(private readonly o: ProberOptions) {
    this.concurrency = o.concurrency ?? 1000;
  }

  /** Replaces the probe set; probes keep their phase, so a change does not bunch them up. */
  set(probes: readonly Probe[], now = Date.now()): void {
    this.probes = [...probes];
    this.heap = new IndexedMinHeap(this.probes.length);
    this.probes.forEach((p, i) => {
      const phase = phaseOf(p.id, p.intervalMs);
      // The next slot of this probe at or after now.
      const cycle = Math.floor((now - phase) / p.intervalMs) + 1;
      this.heap.set(i, cycle * p.intervalMs + phase);
    });
    this.arm();
  }

  get size(): number {
    return this.probes.length;
  }

  private arm(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    const next = this.heap.peek();
    if (next === undefined) return;
    const wait = Math.max(0, this.heap.keyOf(next) - Date.now());
    this.timer = setTimeout(() => this.tick(), Math.min(wait, 1000));
  }

  private tick(): void {
    if (this.stopped) return;
    const now = Date.now();
    for (let id = this.heap.peek(); id !== undefined && this.running < this.concurrency; id = this.heap.peek()) {
      const due = this.heap.keyOf(id);
      if (due > now) break;
      const p = this.probes[id]!;
      this.heap.set(id, due + p.intervalMs);
      void this.start(p, due, now);
    }
    this.arm();
  }

  private async start(p: Probe, due: number, now: number): Promise<void> {
    this.running++;
    this.started++;
    this.lateness[this.latenessCount++ % LATENESS_SAMPLES] = now - due;
    const probes = this.probes;
    try {
      const r = await (this.o.run ?? runProbe)(p, this.o.localAddress);
      // A result of a probe set that was replaced meanwhile still describes its check.
      if (!this.stopped) this.o.onResult({ check: p.id, at: now, ...r });
    } finally {
      this.running--;
      this.finished++;
      // A probe that waited for a free slot runs as soon as one is free.
      if (this.running === this.concurrency - 1 && probes === this.probes) this.tick();
    }
  }

  /** Lateness of the recent starts in ms: the given quantile (0.99 for p99). */
  latenessQuantile(q: number): number {
    const n = Math.min(this.latenessCount, LATENESS_SAMPLES);
    if (n === 0) return 0;
    const sorted = Array.from(this.lateness.subarray(0, n)).sort((a, b) => a - b);
    return sorted[Math.min(n - 1, Math.floor(n * q))]!;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
  }
}
