/**
 * Staged rollouts of a revision to one site (core/plan/rollout.ts), run by the controller:
 * every host that changes is held at the revision it runs; the rollout releases one stage at
 * a time (the canary first), waits for every host of the stage to pass the gate, and on a
 * failed gate (or an abort, or the gate timeout) holds every host it changed at its earlier
 * revision again, so their agents go back. Each step is stored before it takes effect, so a
 * controller restart carries on where it was.
 */
import type { HostRole } from '../core/fleet/schema/host.js';
import { gate, rolloutStages, type Rollout } from '../core/plan/rollout.js';
import type { HostDesiredState } from '../core/render/desired.js';
import { hostStateHash } from '../core/render/desired.js';
import { HafenError } from '../lib/errors.js';
import type { Holds } from './holds.js';
import type { HostHold, HostStatus, Store } from './store/store.js';

export interface SiteRolloutRequest {
  site: string;
  /** Hosts per batch after the canary (default: a quarter of the rest). */
  batch?: number;
  /** How long a stage may take to pass its gate (default 5 minutes). */
  gateTimeoutMs?: number;
}

export const DEFAULT_GATE_TIMEOUT_MS = 5 * 60_000;

export interface RolloutDeps {
  store: Store;
  holds: Holds;
  /** The host's desired state as its agent gets it now. */
  desiredFor(host: string): Promise<{ state: HostDesiredState; hash: string }>;
  report(host: string): Promise<HostStatus | undefined>;
  /** Whether the hosts' last reports can be acted on (host-reports.ts `settled`): a host's gate waits until then. */
  settled(hosts: Iterable<string>): boolean;
  /** Holds changed: wake the agents. */
  changed(): void;
  now(): Date;
  log(line: string): void;
}


export class Rollouts {
  private ticking = false;

  constructor(private readonly deps: RolloutDeps) {}

  /** The rollout in progress, if any (at most one runs at a time). */
  async running(): Promise<Rollout | undefined> {
    const [newest] = await this.deps.store.rollouts(1);
    return newest?.state === 'running' ? newest : undefined;
  }

  /**
   * The rollout of `after` (revision `revision`) to the request's site and the holds that go
   * with it: every host whose state changes is held at the revision it runs now (a host
   * already held stays where it is); the site's changed hosts are the rollout's, the other
   * sites' changed hosts stay held until their own rollout. No rollout when nothing at the site changes.
   */
  async plan(
    req: SiteRolloutRequest,
    hosts: readonly { id: string; site: string; role: HostRole }[],
    after: ReadonlyMap<string, HostDesiredState>,
    head: { revision: number; desired: ReadonlyMap<string, HostDesiredState>; hashes: ReadonlyMap<string, string> } | undefined,
    revision: number,
    author: string,
  ): Promise<{ rollout?: Rollout; holds: HostHold[]; elsewhere: string[] }> {
    if (req.batch !== undefined && (!Number.isInteger(req.batch) || req.batch < 1)) throw new HafenError('HAFEN_ROLLOUT_INVALID', `batch must be a whole number of at least 1, not ${req.batch}`);
    if (!hosts.some((h) => h.site === req.site)) {
      throw new HafenError('HAFEN_ROLLOUT_INVALID', `the fleet has no host at site "${req.site}" (sites with hosts: ${[...new Set(hosts.map((h) => h.site))].join(', ')})`);
    }
    const now = this.deps.now().toISOString();
    const existing = await this.deps.holds.all();
    const holds: HostHold[] = [];
    const mine: { id: string; role: HostRole; from: number }[] = [];
    const elsewhere: string[] = [];
    for (const h of hosts) {
      const base = await this.deps.holds.baseOf(h.id, head, h.site);
      const next = after.get(h.id);
      if (base.hash === hostStateHash(next ?? { units: [] })) continue;
      const from = base.heldAt ?? head?.revision ?? 0;
      holds.push({ host: h.id, revision: from, since: existing.get(h.id)?.since ?? now });
      if (h.site === req.site) mine.push({ id: h.id, role: h.role, from });
      else elsewhere.push(h.id);
    }
    const stages = rolloutStages(mine, req.batch);
    if (stages.length === 0) return { holds, elsewhere };
    const from = new Map(mine.map((m) => [m.id, m.from]));
    const rollout: Rollout = {
      id: 0,
      revision,
      site: req.site,
      state: 'running',
      stages,
      stage: 0,
      stageStartedAt: null,
      gateTimeoutMs: req.gateTimeoutMs ?? DEFAULT_GATE_TIMEOUT_MS,
      hosts: stages.flatMap((hs, stage) => hs.map((host) => ({ host, stage, from: from.get(host)!, state: 'waiting' as const }))),
      author,
      createdAt: now,
      updatedAt: now,
    };
    return { rollout, holds, elsewhere };
  }

  /** One step of the running rollout (called every second; a step still running is not overlapped). */
  async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      const r = await this.running();
      if (r) await this.step(r);
    } finally {
      this.ticking = false;
    }
  }

  /** Stops the running rollout `id` and sends the hosts it changed back. */
  async abort(id: number, by: string): Promise<Rollout> {
    const r = await this.deps.store.rollout(id);
    if (!r) throw new HafenError('HAFEN_ROLLOUT_NOT_FOUND', `there is no rollout ${id}`);
    if (r.state !== 'running') throw new HafenError('HAFEN_ROLLOUT_FINISHED', `rollout ${id} is ${r.state} already; nothing to abort`);
    return this.stop(r, `aborted by ${by}`, 'aborted');
  }

  private async step(r: Rollout): Promise<void> {
    if (r.stageStartedAt === null) return void (await this.release(r));
    const now = this.deps.now();
    let changed = false;
    for (const h of r.hosts) {
      if (h.stage !== r.stage || h.state !== 'rolling' || !this.deps.settled([h.host])) continue;
      const { state, hash } = await this.deps.desiredFor(h.host);
      const rep = await this.deps.report(h.host);
      const body = rep?.status;
      const g = gate({
        desiredHash: hash,
        // Agents probe the health of units with a port only.
        units: state.units.map((u) => ({ name: u.name, hash: u.hash, ...(u.health && u.port !== undefined ? { health: u.health } : {}) })),
        ...(state.firewall ? { firewallHash: state.firewall.hash } : {}),
        ...(rep
          ? { report: { reportedAt: rep.reportedAt, ...(body?.appliedHash ? { appliedHash: body.appliedHash } : {}), units: body?.units ?? [], ...(body?.agent?.firewall ? { firewall: body.agent.firewall } : {}) } }
          : {}),
        since: r.stageStartedAt,
      });
      if (!g.pass && g.fail) return void (await this.stop(r, `${h.host}: ${g.detail}`, 'failed', h.host));
      if (g.pass) h.state = 'ok';
      if (h.detail !== g.detail || g.pass) changed = true;
      h.detail = g.detail;
    }
    const stage = r.hosts.filter((h) => h.stage === r.stage);
    if (stage.every((h) => h.state === 'ok')) {
      this.deps.log(`rollout ${r.id} (revision ${r.revision} at ${r.site}): stage ${r.stage + 1} of ${r.stages.length} passed (${stage.map((h) => h.host).join(', ')})`);
      r.stage++;
      r.stageStartedAt = null;
      if (r.stage >= r.stages.length) {
        r.state = 'done';
        r.finishedAt = now.toISOString();
      }
      await this.save(r, [...(await this.deps.holds.all()).values()]);
      if (r.state === 'running') await this.release(r);
      return;
    }
    if (now.getTime() - Date.parse(r.stageStartedAt) > r.gateTimeoutMs) {
      const late = stage.filter((h) => h.state !== 'ok');
      return void (await this.stop(r, `stage ${r.stage + 1} did not pass within ${Math.round(r.gateTimeoutMs / 1000)} s: ${late.map((h) => `${h.host}: ${h.detail ?? 'no word'}`).join('; ')}`, 'failed', late[0]?.host));
    }
    if (changed) await this.save(r, [...(await this.deps.holds.all()).values()]);
  }

  /** Gives the current stage's hosts the change (their holds go). */
  private async release(r: Rollout): Promise<void> {
    const stage = new Set(r.stages[r.stage]);
    r.stageStartedAt = this.deps.now().toISOString();
    for (const h of r.hosts) if (stage.has(h.host)) h.state = 'rolling';
    const holds = [...(await this.deps.holds.all()).values()].filter((h) => !stage.has(h.host));
    await this.save(r, holds);
  }

  /** Ends the rollout: every host it changed is held at its earlier revision again. */
  private async stop(r: Rollout, reason: string, state: 'failed' | 'aborted', host?: string): Promise<Rollout> {
    const now = this.deps.now().toISOString();
    const holds = new Map(await this.deps.holds.all());
    for (const h of r.hosts) {
      if (h.state !== 'rolling' && h.state !== 'ok') continue;
      holds.set(h.host, { host: h.host, revision: h.from, since: now });
      if (h.host === host) h.detail = reason.replace(`${host}: `, '');
      h.state = h.host === host ? 'failed' : 'rolled-back';
    }
    r.state = state;
    r.finishedAt = now;
    r.failure = { ...(host ? { host } : {}), reason };
    this.deps.log(`rollout ${r.id} (revision ${r.revision} at ${r.site}) ${state}: ${reason}; the hosts it changed go back`);
    return this.save(r, [...holds.values()]);
  }

  /** Stores the rollout and the holds; agents are woken when the holds changed. */
  private async save(r: Rollout, holds: readonly HostHold[]): Promise<Rollout> {
    r.updatedAt = this.deps.now().toISOString();
    const before = await this.deps.holds.all();
    const same = holds.length === before.size && holds.every((h) => before.get(h.host)?.revision === h.revision);
    const saved = await this.deps.store.saveRollout(r, holds);
    this.deps.holds.changed();
    if (!same) this.deps.changed();
    return saved;
  }
}
