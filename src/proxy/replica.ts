/**
 * What a proxy knows about one replica: its place in the route table and its health, from two
 * sources. Active checks (every second by default, jittered) mark it down after `fall`
 * failures and up after `rise` successes. Passive ejection takes it out at once after
 * `ejectAfter` consecutive failed requests (connect errors, resets, 5xx) within
 * `ejectWindowMs`, at once when it stalls or hangs (see below); only active checks bring an
 * ejected replica back.
 *
 * A hung replica (a frozen process, dropped packets) refuses nothing: it shows only as silence.
 * Each try of a request therefore has a timeout of its own, derived from how fast the replica
 * answered lately (`tryFactor` × the slowest of its last 64 answers' header times, within
 * [`tryMinMs`, `tryMaxMs`]; the fleet may set one per app), and is given up after it only when
 * the replica has shown no sign of life — no answer to any request, no passing HTTP health
 * check — for at least that long and for at least one check period (with
 * HTTP checks, a derived timeout counts only up to that period: see `hung`). A
 * replica that keeps answering others (or its health checks) is slow, not hung, and its tries
 * wait on (up to the response timeout).
 */
import type { Replica } from '../core/render/routes.js';

export interface HealthOptions {
  intervalMs: number;
  timeoutMs: number;
  fall: number;
  rise: number;
  ejectAfter: number;
  ejectWindowMs: number;
  /**
   * A replica stalls when `ejectAfter` requests have waited this long for an answer and none of
   * its answers arrived meanwhile (a host that hangs rather than refuses: dropped packets, a
   * frozen process). A stalled replica is ejected at once. 0 turns this off (for apps whose
   * answers routinely take longer, in bursts).
   */
  stallMs: number;
  /** A try's timeout is this many times the slowest of the replica's recent answers ... */
  tryFactor: number;
  /** ... but at least this long ... */
  tryMinMs: number;
  /** ... and at most this long. */
  tryMaxMs: number;
}

export const DEFAULT_HEALTH: HealthOptions = { intervalMs: 1000, timeoutMs: 1000, fall: 2, rise: 2, ejectAfter: 3, ejectWindowMs: 10_000, stallMs: 800, tryFactor: 4, tryMinMs: 1000, tryMaxMs: 10_000 };

/** How many recent answers the try timeout is derived from. */
const LATENCY_SAMPLES = 64;

/** A request waiting for a replica's answer. */
export interface Pending {
  since: number;
  /** The request may be given up on and sent elsewhere (it is idempotent and its body is kept). */
  retryable: boolean;
  /** This try's timeout (ms): given up after it when the replica showed no sign of life meanwhile (ReplicaState.hung). */
  tryTimeoutMs: number;
  /** The timeout is the app's own (fleet proxy.tryTimeout), kept as it is; a derived one gives way to the health checks' evidence. */
  fixed?: boolean;
  /** Gives up on the request with `err` (it has received nothing yet); set once the request is under way. */
  abort?: (err: Error) => void;
}

export type HealthEvent = 'down' | 'up' | 'ejected' | 'restored' | undefined;

export class ReplicaState {
  /** Verdict of the active checks; optimistic at start, so a new proxy serves at once (retries cover a wrong guess). */
  up = true;
  ejected = false;
  inflight = 0;
  private fails = 0;
  private oks = 0;
  /** Times of the consecutive passive failures still inside the window. */
  private passive: number[] = [];
  /** Requests waiting for this replica's response headers. */
  readonly pending = new Set<Pending>();
  /** When this replica last answered (response headers). */
  lastAnswer = 0;
  /** When it last showed it is alive: an answer, or a passing HTTP health check (a TCP connect proves nothing: a frozen process's kernel still accepts). */
  lastAlive = 0;
  /** Header times (ms) of its last answers, a ring. */
  private readonly latencies = new Float64Array(LATENCY_SAMPLES);
  private latencyCount = 0;
  private latencyNext = 0;
  /** The slowest of them, kept current (recomputed when the slowest leaves the ring). */
  private slowest = 0;
  /** The longest gap between two passing HTTP health checks of a live replica (0: its checks prove nothing, see lastAlive). */
  checkGapMs = 0;

  constructor(
    public spec: Replica,
    private readonly opts: HealthOptions,
  ) {}

  get id(): string {
    return this.spec.id;
  }

  /** Response headers arrived `ms` after the request was sent. */
  answered(now: number, ms: number): void {
    this.lastAnswer = now;
    this.lastAlive = now;
    const leaving = this.latencyCount === LATENCY_SAMPLES ? this.latencies[this.latencyNext]! : -1;
    this.latencies[this.latencyNext] = ms;
    this.latencyNext = (this.latencyNext + 1) % LATENCY_SAMPLES;
    this.latencyCount = Math.min(this.latencyCount + 1, LATENCY_SAMPLES);
    if (ms >= this.slowest) this.slowest = ms;
    else if (leaving === this.slowest) this.slowest = Math.max(...this.latencies.subarray(0, this.latencyCount));
  }

  /** A passing HTTP health check: the replica's app answers. */
  checkPassed(now: number): void {
    this.lastAlive = now;
  }

  /** The timeout of a try sent now (`override`: the app's own, from the fleet). */
  tryTimeoutMs(override?: number): number {
    if (override !== undefined) return override;
    return Math.min(this.opts.tryMaxMs, Math.max(this.opts.tryMinMs, Math.ceil(this.opts.tryFactor * this.slowest)));
  }

  /**
   * Whether the try `p` waits on a hung replica: past its timeout, and the replica silent now for
   * at least its timeout and at least the longest gap between two passing health checks. (Not
   * "silent since the try began": answers already on their way when a replica froze arrive after
   * tries sent just before, which would then wait for the response timeout.) With HTTP checks,
   * silence that long already shows a hang, so a derived
   * timeout counts only up to that gap (answers slowed by load would otherwise stretch it past
   * what a client waits); the app's own timeout counts whole (its checks may wait behind its
   * requests: a single-threaded app).
   */
  hung(p: Pending, now: number): boolean {
    const wait = p.fixed || this.checkGapMs === 0 ? p.tryTimeoutMs : Math.min(p.tryTimeoutMs, this.checkGapMs);
    return now - p.since >= wait && now - this.lastAlive >= Math.max(wait, this.checkGapMs);
  }

  /** Takes it out at once (failed requests, a stall, a hang); true when it was in use until now. */
  eject(): boolean {
    if (this.ejected) return false;
    this.ejected = true;
    // Coming back takes `rise` fresh successes.
    this.oks = 0;
    return true;
  }

  /** Takes new requests: active, weighted, up and not ejected. */
  get usable(): boolean {
    return this.up && !this.ejected && this.spec.state === 'active' && this.spec.weight > 0;
  }

  activeResult(ok: boolean): HealthEvent {
    if (ok) {
      this.fails = 0;
      this.oks++;
      if (this.oks >= this.opts.rise) {
        if (this.ejected) {
          this.ejected = false;
          this.passive = [];
          this.up = true;
          return 'restored';
        }
        if (!this.up) {
          this.up = true;
          return 'up';
        }
      }
      return undefined;
    }
    this.oks = 0;
    this.fails++;
    if (this.up && this.fails >= this.opts.fall) {
      this.up = false;
      return 'down';
    }
    return undefined;
  }

  passiveFailure(now: number): HealthEvent {
    this.passive = this.passive.filter((t) => now - t < this.opts.ejectWindowMs);
    this.passive.push(now);
    return this.passive.length >= this.opts.ejectAfter && this.eject() ? 'ejected' : undefined;
  }

  passiveSuccess(): void {
    this.passive = [];
  }

  /**
   * Ejects the replica when it stalls (see HealthOptions.stallMs) and returns the requests that
   * waited on it, so they can be sent elsewhere.
   */
  checkStall(now: number): { event: HealthEvent; stalled: Pending[] } {
    if (this.opts.stallMs <= 0 || this.ejected || now - this.lastAnswer < this.opts.stallMs) return { event: undefined, stalled: [] };
    const stalled = [...this.pending].filter((p) => now - p.since >= this.opts.stallMs);
    if (stalled.length < this.opts.ejectAfter) return { event: undefined, stalled: [] };
    this.eject();
    return { event: 'ejected', stalled };
  }
}
