/**
 * Which controller leads on a PostgreSQL store: the one holding a session advisory lock
 * (CONTROLLER_LOCK) on a connection of its own. The others try to take it every `pollMs` and
 * read who leads (the `hafen_leader` row: its URL and term) so they can pass requests on.
 *
 * The lease: the leader runs a heartbeat on the lock's connection every `heartbeatMs`; one that
 * fails or takes longer than `timeoutMs` ends its leadership (`onLost`: the controller stops).
 * The database ends the lock's session once it was idle for `idleSessionMs`
 * (idle_session_timeout), so a leader cut off from the database loses the lock there too — and
 * always later than it gives up itself (heartbeat + timeout < idle timeout). A leader that dies
 * outright closes its connection and the lock is free at once.
 *
 * Each new leader increments the term; the store's fenced writes (postgres.ts) check it, so a
 * leader that lost its lock cannot store a migration step or claim a notification after the
 * next one began.
 */
import pg from 'pg';
import { HafenError } from '../../lib/errors.js';
import { redact, type Q } from './postgres-query.js';

/** The session advisory lock ("hafen-co") the leading controller holds. */
export const CONTROLLER_LOCK = '7521981237479336815';

export interface LeaderInfo {
  /** Counts up with every new leader. */
  term: number;
  /** Where the leader is reached (its --advertise URL). */
  url: string;
  since: string;
}

export interface LeaseTimes {
  pollMs: number;
  heartbeatMs: number;
  timeoutMs: number;
  idleSessionMs: number;
  /** A follower that cannot reach its database this long is told to stop (`onLost`): restarted, it looks for the primary again (a failover). */
  giveUpMs: number;
}

/** Take-over within ~idleSessionMs + pollMs when a leader is cut off; within ~pollMs when it dies. */
export const DEFAULT_LEASE: LeaseTimes = { pollMs: 1000, heartbeatMs: 2000, timeoutMs: 4000, idleSessionMs: 10_000, giveUpMs: 30_000 };

export interface PostgresLeadershipOptions {
  /** The URL this controller is reached at by the others. */
  advertise: string;
  /** This controller now leads (term given); leadership waits for it before its next round. */
  onElected(term: number): Promise<void>;
  /** This controller no longer leads (it must stop acting at once), or as a follower has not reached its database for `giveUpMs`. */
  onLost(err: Error): void;
  log(line: string): void;
  lease?: Partial<LeaseTimes>;
}

export class PostgresLeadership {
  private client?: pg.Client;
  private timer?: NodeJS.Timeout;
  private known?: LeaderInfo;
  private term?: number;
  private stopped = false;
  /** Led once and lost it: never tries again (the controller is to be restarted), only reads who leads. */
  private retired = false;
  private complained = false;
  /** Since when a follower has not reached its database. */
  private unreachableSince?: number;
  private readonly lease: LeaseTimes;

  constructor(
    private readonly url: string,
    private readonly o: PostgresLeadershipOptions,
  ) {
    this.lease = { ...DEFAULT_LEASE, ...o.lease };
    if (this.lease.heartbeatMs + this.lease.timeoutMs >= this.lease.idleSessionMs) throw new Error('lease: heartbeat + timeout must be shorter than the idle session timeout');
  }

  /** Takes the first turn (so a controller alone on its store leads when this returns), then keeps on. */
  async start(): Promise<void> {
    await this.round();
    this.schedule();
  }

  /** Whether this controller leads. */
  get leading(): boolean {
    return this.term !== undefined;
  }

  /** Who leads, as last seen (this controller, when it does). */
  leader(): LeaderInfo | undefined {
    return this.known;
  }

  /** Gives up the lock (a clean stop: another controller takes over within `pollMs`). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.term = undefined;
    await this.client?.end().catch(() => undefined);
    this.client = undefined;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.round().finally(() => this.schedule()), this.leading ? this.lease.heartbeatMs : this.lease.pollMs);
    this.timer.unref();
  }

  private async connect(): Promise<pg.Client> {
    const c = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: this.lease.timeoutMs, query_timeout: this.lease.timeoutMs, keepAlive: true, keepAliveInitialDelayMillis: 1000 });
    c.on('error', (err) => {
      if (this.client === c) this.broken(err);
    });
    await c.connect();
    this.client = c;
    try {
      await c.query(`SET idle_session_timeout = ${this.lease.idleSessionMs}`);
    } catch (err) {
      this.o.log(`PostgreSQL does not end idle sessions (${(err as Error).message}; version 14 or newer does): a leader cut off from the database keeps its lock until TCP gives up`);
    }
    return c;
  }

  private async round(): Promise<void> {
    if (this.stopped) return;
    try {
      const c = this.client ?? (await this.connect());
      if (this.leading) {
        await c.query('SELECT 1');
        return;
      }
      const got = !this.retired && (await c.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [CONTROLLER_LOCK])).rows[0]!.ok;
      if (!got) {
        this.known = await this.read(c);
        this.complained = false;
        this.unreachableSince = undefined;
        return;
      }
      const since = new Date().toISOString();
      const elected = await c.query<{ term: number }>(
        `INSERT INTO hafen_leader (id, term, url, since) VALUES (1, 1, $1, $2)
         ON CONFLICT (id) DO UPDATE SET term = hafen_leader.term + 1, url = excluded.url, since = excluded.since RETURNING term::integer AS term`,
        [this.o.advertise, since],
      );
      this.term = elected.rows[0]!.term;
      this.known = { term: this.term, url: this.o.advertise, since };
      this.o.log(`leading the controllers on ${redact(this.url)} (term ${this.term})`);
      await this.o.onElected(this.term);
    } catch (err) {
      this.broken(err as Error);
    }
  }

  private async read(c: pg.Client): Promise<LeaderInfo | undefined> {
    return (await c.query<LeaderInfo>('SELECT term::integer AS term, url, since FROM hafen_leader WHERE id = 1')).rows[0];
  }

  /** The lock's connection failed: a leader stops leading (for good); a follower tries again next round. */
  private broken(err: Error): void {
    const c = this.client;
    this.client = undefined;
    void c?.end().catch(() => undefined);
    if (this.stopped) return;
    if (this.term !== undefined) {
      this.term = undefined;
      this.retired = true;
      this.known = undefined;
      this.o.onLost(new HafenError('HAFEN_STORE_LOCK_LOST', `lost the lead on ${redact(this.url)} (${err.message}); stopping, so that no two controllers act at once`));
      return;
    }
    const now = Date.now();
    this.unreachableSince ??= now;
    if (!this.complained) {
      this.complained = true;
      this.o.log(`cannot reach ${redact(this.url)} to see who leads: ${err.message}; trying again`);
    } else if (now - this.unreachableSince >= this.lease.giveUpMs) {
      this.unreachableSince = undefined;
      this.o.onLost(new HafenError('HAFEN_STORE_UNREACHABLE', `could not reach ${redact(this.url)} for ${Math.round(this.lease.giveUpMs / 1000)} s (${err.message}); stopping, so that a restart looks for the primary among the store's hosts again`));
    }
  }
}

/** In a write transaction: refuses it when another controller leads since `term` (a fenced write). */
export async function checkTerm(q: Q, term: number): Promise<void> {
  const now = (await q<{ term: number }>('SELECT term::integer AS term FROM hafen_leader WHERE id = 1 FOR SHARE')).rows[0]?.term;
  if (now !== term) throw new HafenError('HAFEN_STORE_NOT_LEADER', `this controller led in term ${term}, another leads since (term ${now ?? 'none'}): nothing written`, { retryable: true });
}
