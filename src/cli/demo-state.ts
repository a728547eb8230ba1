/**
 * What a running `hafen demo` leaves in its data directory for `hafen demo fail|heal|load`:
 * `demo.json` (the demo's pid, the controller, each host's agent and proxy with their pids),
 * written by the demo and removed when it stops; `cut.json` (the sites cut off, with the pids
 * frozen), written by `demo fail|heal`.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { HafenClient } from '../client/client.js';
import { writeFileAtomic } from '../lib/fs.js';
import { alive } from '../lib/proc.js';

export interface DemoHost {
  host: string;
  site: string;
  address: string;
  agentPid: number;
  proxy: { url: string; admin: string; pid: number };
}

/** A database host of the demo (PostgreSQL installed): its agent runs the postgres driver. */
export interface DemoDatabaseHost {
  host: string;
  site: string;
  address: string;
  agentPid: number;
  /** The agent's data directory: its clusters' postmaster.pid files are under state/postgres. */
  data: string;
}

export interface DemoState {
  pid: number;
  controller: string;
  startedAt: string;
  hosts: DemoHost[];
  databases?: DemoDatabaseHost[];
}

/** Per cut site: when, the processes frozen, and who each is (its start time, `identify`), so a reused pid is never taken for one of them. */
export type Cuts = Record<string, { at: string; pids: number[]; started?: Record<string, string> }>;

/** The processes a cut froze that still run as themselves (a later process with a reused pid is not one of them). */
export function frozenByCuts(cuts: Cuts): Map<number, string> {
  return new Map(Object.values(cuts).flatMap((c) => Object.entries(c.started ?? {}).map(([pid, started]) => [Number(pid), started] as const)));
}

export const demoFile = (data: string) => join(resolve(data), 'demo.json');
const cutFile = (data: string) => join(resolve(data), 'cut.json');

export class DemoNotRunning extends Error {}

/** The running demo of `data`; throws DemoNotRunning (with what to do) when none runs. */
export function readDemo(data: string): DemoState {
  const file = demoFile(data);
  if (!existsSync(file)) throw new DemoNotRunning(`no demo runs with data directory ${resolve(data)} (no ${file}); start one with \`hafen demo\` (npm start) first`);
  const state = JSON.parse(readFileSync(file, 'utf8')) as DemoState;
  if (!alive(state.pid)) throw new DemoNotRunning(`the demo of ${resolve(data)} (pid ${state.pid}) no longer runs; start it again with \`hafen demo\``);
  return state;
}

export const writeDemo = (data: string, state: DemoState) => writeFileAtomic(demoFile(data), `${JSON.stringify(state, null, 2)}\n`);

export function readCuts(data: string): Cuts {
  try {
    return JSON.parse(readFileSync(cutFile(data), 'utf8')) as Cuts;
  } catch {
    return {};
  }
}

export const writeCuts = (data: string, cuts: Cuts) => writeFileAtomic(cutFile(data), `${JSON.stringify(cuts, null, 2)}\n`);

/** Forgets the demo's processes (on stop, and on start: the previous run's are gone). */
export function clearDemo(data: string): void {
  rmSync(demoFile(data), { force: true });
  rmSync(cutFile(data), { force: true });
}

/** An admin client of the demo's controller. */
export function demoAdmin(data: string, controller: string): HafenClient {
  return new HafenClient(controller, readFileSync(join(resolve(data), 'controller', 'admin.token'), 'utf8').trim());
}
