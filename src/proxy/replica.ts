/**
 * What a proxy knows about one replica: its place in the route table and its health, from two
 * sources. Active checks (every second by default, jittered) mark it down after `fall`
 * failures and up after `rise` successes. Passive ejection takes it out at once after
 * `ejectAfter` consecutive failed requests (connect errors, resets, 5xx) within
 * `ejectWindowMs`; only active checks bring an ejected replica back.
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
}

export const DEFAULT_HEALTH: HealthOptions = { intervalMs: 1000, timeoutMs: 1000, fall: 2, rise: 2, ejectAfter: 3, ejectWindowMs: 10_000, stallMs: 800 };

/** A request waiting for a replica's answer. */
export interface Pending {
  since: number;
  /** The request may be given up on and sent elsewhere (it is idempotent and its body is kept). */
  retryable: boolean;
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

  constructor(
    public spec: Replica,
    private readonly opts: HealthOptions,
  ) {}

  get id(): string {
    return this.spec.id;
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
    if (!this.ejected && this.passive.length >= this.opts.ejectAfter) {
      this.ejected = true;
      // Coming back takes `rise` fresh successes.
      this.oks = 0;
      return 'ejected';
    }
    return undefined;
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
    this.ejected = true;
    this.oks = 0;
    return { event: 'ejected', stalled };
  }
}
