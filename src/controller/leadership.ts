/**
 * Which controller leads: on a SQLite store the one controller there is, for as long as it
 * runs; on PostgreSQL the one holding the store's lead (store/postgres-leader.ts), whose term
 * then fences the store's writes.
 */
import { PostgresLeadership, type LeaderInfo, type LeaseTimes, type PostgresLeadershipOptions } from './store/postgres-leader.js';
import { PostgresStore } from './store/postgres.js';
import type { Store } from './store/store.js';

export type { LeaderInfo, LeaseTimes };

export interface Leadership {
  readonly leading: boolean;
  /** Who leads, as last seen. */
  leader(): LeaderInfo | undefined;
  /** Gives up the lead, if held. */
  stop(): Promise<void>;
}

/** The same on either store: where this controller is reached, and what to do when it leads or stops leading. */
export type LeadershipOptions = PostgresLeadershipOptions;

/** Takes the first turn before it returns: a controller alone on its store leads by then. */
export async function startLeadership(store: Store, o: LeadershipOptions): Promise<Leadership> {
  if (!(store instanceof PostgresStore)) {
    const info = { term: 1, url: o.advertise, since: new Date().toISOString() };
    await o.onElected(info.term);
    return { leading: true, leader: () => info, stop: async () => undefined };
  }
  const l = new PostgresLeadership(store.primary, {
    ...o,
    onElected: async (term) => {
      store.fence(term);
      await o.onElected(term);
    },
  });
  await l.start();
  return l;
}
