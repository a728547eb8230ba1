/**
 * A prober connected to the controller: follows the probes of its site (long-poll; a change
 * replaces the set without disturbing the schedule) and delivers results once a second.
 * Results that could not be delivered are kept and sent with the next delivery, up to a
 * bound (the oldest go first when it is reached, and the loss is logged), so a controller
 * restart loses no result.
 */
import type { HafenClient, ProbeResultBody } from '../../client/client.js';
import { Prober, type ProberOptions } from './prober.js';

/** Results kept for delivery at most: ten minutes of 10,000 checks every 30 s. */
const MAX_BUFFERED = 200_000;

export class ProberFollower {
  readonly prober: Prober;
  private buffer: ProbeResultBody[] = [];
  private dropped = 0;
  private hash: string | undefined;
  private running = true;
  private timer?: NodeJS.Timeout;
  site: string | undefined;

  constructor(
    private readonly client: HafenClient,
    private readonly log: (msg: string) => void,
    options: Omit<ProberOptions, 'onResult'> = {},
    private readonly waitSeconds = 25,
  ) {
    this.prober = new Prober({
      ...options,
      onResult: (r) => {
        if (this.buffer.length >= MAX_BUFFERED) {
          this.buffer.shift();
          this.dropped++;
        }
        this.buffer.push({ check: r.check, ok: r.ok, at: new Date(r.at).toISOString(), ms: Math.round(r.ms * 10) / 10, ...(r.error !== undefined ? { error: r.error } : {}) });
      },
    });
  }

  start(): void {
    void this.loop();
    this.timer = setInterval(() => void this.deliver(), 1000);
    this.timer.unref();
  }

  private async loop(): Promise<void> {
    let backoff = 500;
    while (this.running) {
      try {
        const res = await this.client.probes(this.hash, this.waitSeconds);
        backoff = 500;
        if (!this.running) return;
        if (res.changed || res.hash !== this.hash) {
          this.hash = res.hash;
          if (this.site !== res.site) this.log(`probing from site ${res.site}`);
          this.site = res.site;
          this.prober.set(res.probes);
          this.log(`running ${res.probes.length} probes`);
        }
      } catch (err) {
        if (!this.running) return;
        this.log(`cannot fetch probes (${(err as Error).message}); trying again`);
        await new Promise((r) => setTimeout(r, backoff * (0.75 + Math.random() / 2)));
        backoff = Math.min(backoff * 2, 10_000);
      }
    }
  }

  private delivering = false;

  /** Sends what is buffered; on failure it stays for the next try. */
  async deliver(): Promise<void> {
    if (this.delivering || this.buffer.length === 0) return;
    this.delivering = true;
    const batch = this.buffer;
    this.buffer = [];
    try {
      const res = await this.client.reportProbeResults(batch);
      // Results held past the controller's window (it was away), or a clock that is off: said, not retried.
      if (res?.outOfTime) this.log(`${res.outOfTime} probe results were left out by the controller: dated more than 60 s from its clock (held while it was away, or this host's clock is off)`);
      if (this.dropped) {
        this.log(`${this.dropped} probe results were dropped while the controller could not be reached`);
        this.dropped = 0;
      }
    } catch {
      this.buffer = [...batch, ...this.buffer].slice(-MAX_BUFFERED);
    } finally {
      this.delivering = false;
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    clearInterval(this.timer);
    await this.prober.stop();
    await this.deliver().catch(() => {});
  }
}
