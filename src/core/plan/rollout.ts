/**
 * A staged rollout of one revision to one site (pure): the stages (one canary host, then the
 * rest of the site in batches) and the gate each host must pass before the next stage starts
 * (its agent reported after the change, applied it, runs every unit healthy, and confirmed
 * the new firewall). The controller (controller/rollouts.ts) runs it and stores each step.
 */
import type { HostRole } from '../fleet/schema/host.js';
import { naturalCompare } from '../util/natural-sort.js';

export type RolloutState = 'running' | 'done' | 'failed' | 'aborted';
/** waiting: not reached yet (still held); rolling: got the change, gate not passed yet; ok: passed; failed: broke the gate (and was sent back); rolled-back: sent back because the rollout stopped. */
export type RolloutHostState = 'waiting' | 'rolling' | 'ok' | 'failed' | 'rolled-back';

export interface RolloutHost {
  host: string;
  /** Index into the rollout's stages. */
  stage: number;
  /** The revision the host ran before (0: nothing); a roll back holds it there again. */
  from: number;
  state: RolloutHostState;
  /** Why it waits or failed (the last gate reason), or what passed. */
  detail?: string;
}

export interface Rollout {
  /** Assigned by the store (0 before it is stored). */
  id: number;
  revision: number;
  site: string;
  state: RolloutState;
  /** Host names per stage: stage 0 is the canary. */
  stages: string[][];
  /** The stage in progress (stages.length once done). */
  stage: number;
  /** When the current stage's hosts got the change (null: not released yet). */
  stageStartedAt: string | null;
  gateTimeoutMs: number;
  hosts: RolloutHost[];
  author: string;
  createdAt: string;
  updatedAt: string;
  finishedAt?: string;
  failure?: { host?: string; reason: string };
}

/** Hosts whose change is least risky for the site's traffic go first: apps and data, then backup, the proxies, management last. */
const ROLE_ORDER: Record<HostRole, number> = { app: 0, data: 1, backup: 2, proxy: 3, edge: 4, management: 5 };

/**
 * The stages for `hosts` (those of the site whose state changes): the first host of the
 * least risky role as the canary, then batches of `batch` (default: a quarter of the rest,
 * at least one), in role order so a batch of app hosts passes before a proxy changes.
 */
export function rolloutStages(hosts: readonly { id: string; role: HostRole }[], batch?: number): string[][] {
  const ordered = [...hosts].sort((a, b) => ROLE_ORDER[a.role] - ROLE_ORDER[b.role] || naturalCompare(a.id, b.id)).map((h) => h.id);
  if (ordered.length === 0) return [];
  const [canary, ...rest] = ordered;
  const size = Math.max(1, batch ?? Math.ceil(rest.length / 4));
  const stages = [[canary!]];
  for (let i = 0; i < rest.length; i += size) stages.push(rest.slice(i, i + size));
  return stages;
}

/** What the gate reads of one host: what it should run, and its agent's last report. */
export interface GateInput {
  /** The hash of the host's desired state as its agent gets it. */
  desiredHash: string;
  /** `health`: the unit has a health check, so it must report healthy (not only running). */
  units: readonly { name: string; hash: string; health?: unknown }[];
  /** The hash of the ruleset the host should run (none: no firewall rendered). */
  firewallHash?: string;
  report?: {
    reportedAt: string;
    appliedHash?: string;
    units?: readonly { name: string; hash: string; state: string; healthy?: boolean; lastError?: string }[];
    firewall?: { hash: string; state: string; error?: string };
  };
  /** When the host got the change: only reports after it count. */
  since: string;
}

export type Gate = { pass: true; detail: string } | { pass: false; fail: boolean; detail: string };

const wait = (detail: string): Gate => ({ pass: false, fail: false, detail });
const fail = (detail: string): Gate => ({ pass: false, fail: true, detail });

/**
 * Has the host taken the change well? Waits while it has not reported since, is applying, or
 * units are starting (a unit with a health check must report healthy, not only running); fails at once on a unit the driver gave up on, a ruleset nft refused,
 * or a ruleset the agent rolled back because it could not reach the controller with it. An
 * agent that does not manage the firewall (no --firewall) reports none: it passes on units
 * alone, and says so.
 */
export function gate(g: GateInput): Gate {
  const r = g.report;
  if (!r || Date.parse(r.reportedAt) < Date.parse(g.since)) return wait('no report since it got the change (unreachable?)');
  if (r.appliedHash !== g.desiredHash) return wait('applying the change');
  const reported = new Map((r.units ?? []).map((u) => [u.name, u]));
  for (const u of g.units) {
    const seen = reported.get(u.name);
    if (!seen || seen.hash !== u.hash) return wait(`unit ${u.name} not started yet`);
    if (seen.state === 'failed') return fail(`unit ${u.name} failed${seen.lastError ? `: ${seen.lastError}` : ''}`);
    if (seen.state !== 'running') return wait(`unit ${u.name} is ${seen.state}`);
    if (seen.healthy === false || (u.health !== undefined && seen.healthy !== true)) return wait(`unit ${u.name} is not healthy${seen.healthy === undefined ? ' yet' : ''}`);
  }
  const units = `${g.units.length} unit(s) running`;
  if (!g.firewallHash) return { pass: true, detail: units };
  const fw = r.firewall;
  if (!fw) return { pass: true, detail: `${units}; firewall not managed by its agent (no --firewall)` };
  if (fw.hash !== g.firewallHash) return wait('firewall not applied yet');
  if (fw.state === 'rolled-back') return fail('its agent rolled the firewall back: with the new ruleset it could not reach the controller');
  if (fw.state === 'failed') return fail(`nft refused the ruleset${fw.error ? `: ${fw.error}` : ''}`);
  if (fw.state !== 'confirmed') return wait('firewall waiting for confirmation');
  return { pass: true, detail: `${units}; firewall confirmed` };
}
