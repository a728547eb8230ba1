/**
 * What a cutover asks of the agents (types only; core/move/copy-orders.ts computes them):
 * the target host's agent pulls the app's data from the source host with rsync over ssh, with a
 * key per volume made for this move; the source host's agent lets exactly those keys in,
 * read-only to that volume (rrsync) and from the target's address, for as long as the move copies.
 */

/** On a cutover's target host: one move's data to pull, and the copy to make now (if any). */
/** Where a compose project directory keeps its data on a host: volumes named after it, data directories below its files. */
export interface MoveProject {
  name: string;
  workingDir?: string;
}

export interface MoveCopyOrder {
  migration: string;
  /** The unit whose data moves (`<app>-r<replica>`): it must not run on this host yet. */
  unit: string;
  /**
   * The app's data (compose): its named volumes, and a project directory's data directories
   * ("./postgres"); the process driver has one data directory whatever they are.
   */
  volumes: string[];
  /** A compose project directory's name and working directory: where its data lies on this host before it runs here. */
  project?: MoveProject;
  /** The source host's sshd. */
  source: { host: string; address: string; port: number; user: string };
  /** This host's address, to connect from (the source lets the keys in from it only). */
  bindAddress?: string;
  /**
   * The copy to make now: a pre-copy round, or the final copy (then the checksums of every file
   * are compared). With `every` (seconds, a standby's copies) it is made again that long after
   * each one ends, for as long as it is ordered.
   */
  copy?: { id: string; final: boolean; every?: number };
}

/** On a cutover's source host: a target agent's key let in, read-only to one volume of the unit. */
export interface MoveAccessGrant {
  migration: string;
  unit: string;
  volume: string;
  /** The public key line ("ssh-ed25519 AAAA…"). */
  key: string;
  /** The target host's address: the key is let in from there only. */
  from?: string;
}

/** A copy as the target host's agent reports it, and what it reports of the moves it copies for (core/report/host-report.ts). */
export type { CopyReport, MoveAgentReport } from '../report/host-report.js';
