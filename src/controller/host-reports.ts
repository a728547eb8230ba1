/**
 * The last status report of every host, kept in memory and written to the store behind the
 * requests that deliver it. A hundred agents heartbeat every few seconds; writing each report
 * in its own durable transaction cost an fsync per report on the controller's only thread and
 * delayed every other request. Reports are re-sent within seconds, so a crash loses nothing
 * that matters: at most `flushMs` of heartbeats, which the agents repeat — but until a host
 * reported again, what the store holds of it may be that old: `settled` says when to trust it.
 */
import type { HostStatus, Store } from './store/store.js';

export class HostReports {
  private readonly latest = new Map<string, HostStatus>();
  private readonly dirty = new Set<string>();
  private loaded?: Promise<void>;
  private timer?: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();
  /** Hosts that reported to this controller since it started (or took the lead). */
  private readonly live = new Set<string>();
  private readonly startedAt = performance.now();

  constructor(
    private readonly store: Store,
    private readonly flushMs = 1000,
  ) {}

  /** What the store knew at start (reports from before a restart), once. */
  private load(): Promise<void> {
    this.loaded ??= this.store.hostStatuses().then((all) => {
      for (const s of all) if (!this.latest.has(s.host)) this.latest.set(s.host, s);
    });
    return this.loaded;
  }

  /**
   * Records a report. `appliedAt` is when the controller first heard that the host runs what
   * it reports as applied now: later heartbeats with the same hash keep it.
   */
  record(status: HostStatus): void {
    const prev = this.latest.get(status.host);
    const applied = status.status.appliedHash;
    const before = prev?.status;
    const appliedAt = applied !== undefined && before?.appliedHash === applied && before.appliedAt ? before.appliedAt : status.reportedAt;
    status = { ...status, status: { ...status.status, appliedAt } };
    this.latest.set(status.host, status);
    this.live.add(status.host);
    this.dirty.add(status.host);
    // A failed flush keeps the reports dirty; the next report schedules another try.
    this.timer ??= setTimeout(() => void this.flush().catch(() => {}), this.flushMs).unref();
  }

  /**
   * Whether these hosts' last reports can be acted on: each reported since this controller
   * started, or `graceMs` passed (agents report every 5 s; one that did not by then is away).
   * A report from the store may be up to `flushMs` older than what the agent last said (a
   * controller killed before it wrote the newest): a move would roll back on a "not healthy"
   * the agent already took back.
   */
  settled(hosts: Iterable<string>, graceMs = 10_000): boolean {
    if (performance.now() - this.startedAt >= graceMs) return true;
    for (const h of hosts) if (!this.live.has(h)) return false;
    return true;
  }

  /** One host's last report. */
  async get(host: string): Promise<HostStatus | undefined> {
    await this.load();
    return this.latest.get(host);
  }

  /** Every host's last report, by host. */
  async all(): Promise<HostStatus[]> {
    await this.load();
    return [...this.latest.values()].sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
  }

  /** Writes what changed since the last flush (in one transaction). */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    // After the previous flush, whether it worked or not (its caller saw its error).
    this.flushing = this.flushing.catch(() => {}).then(async () => {
      if (this.dirty.size === 0) return;
      const batch = [...this.dirty].map((h) => this.latest.get(h)!);
      this.dirty.clear();
      try {
        await this.store.putHostStatuses(batch);
      } catch (err) {
        // Not written: keep them for the next flush unless a newer report replaced them.
        for (const s of batch) if (this.latest.get(s.host) === s) this.dirty.add(s.host);
        throw err;
      }
    });
    return this.flushing;
  }
}
