/**
 * Self-healing, opt-in per app: a replica that stays unhealthy (core/monitor/remediation.ts)
 * is restarted through its agent. The controller raises the unit's restart generation, which
 * is part of the unit's desired state and hash, so the agent restarts it like any change, and
 * a restarted controller keeps the generation (it is in the store). Every restart, and every
 * restart refused by the hourly limit, is an event.
 *
 * The same generations let a person ask a host's agent to apply its firewall again
 * (`hafen firewall reapply`): a drifted table, or a ruleset its agent rolled back, once the
 * cause is mended. The generation is kept under the name `firewall:<host>`.
 */
import type { Check } from '../core/monitor/checks.js';
import { restartsDue, type RemediationPolicy } from '../core/monitor/remediation.js';
import type { CheckStatus } from '../core/monitor/status.js';
import type { Fleet } from '../core/fleet/model.js';
import { hostStateHash, type HostDesiredState } from '../core/render/desired.js';
import { contentHash } from '../core/util/canonical.js';
import type { Store } from './store/store.js';

const HOUR_MS = 3_600_000;
/** The generation counter of a host's firewall re-applies (unit names never hold a colon). */
const firewallKey = (host: string) => `firewall:${host}`;

export class Remediation {
  private generations: Map<string, number> | undefined;
  /** Units whose hourly limit was announced; said again only after a restart. */
  private readonly limitSaid = new Set<string>();

  constructor(
    private readonly store: Store,
    private readonly now: () => Date,
    /** Wakes the agents: a restart changes a host's desired state. */
    private readonly changed: () => void,
    private readonly log: (line: string) => void = () => {},
  ) {}

  private async gens(): Promise<Map<string, number>> {
    this.generations ??= new Map((await this.store.unitRestarts()).map((r) => [r.unit, r.generation]));
    return this.generations;
  }

  /** The host's desired state with the restart generations in its units (and their hashes), and the host's hash. */
  async apply(state: HostDesiredState, hash: string): Promise<{ state: HostDesiredState; hash: string }> {
    const gens = await this.gens();
    const fwGeneration = state.firewall ? gens.get(firewallKey(state.host)) : undefined;
    if (!state.units.some((u) => gens.has(u.name)) && fwGeneration === undefined) return { state, hash };
    const units = state.units.map((u) => {
      const restart = gens.get(u.name);
      return restart === undefined ? u : { ...u, restart, hash: contentHash({ hash: u.hash, restart }) };
    });
    const next = { ...state, units, ...(fwGeneration !== undefined ? { firewall: { ...state.firewall!, generation: fwGeneration } } : {}) };
    return { state: next, hash: hostStateHash(next) };
  }

  /** Asks the host's agent to apply its firewall again; returns the new generation. */
  async reapplyFirewall(host: string, by: string): Promise<number> {
    const at = this.now().toISOString();
    const generation = await this.store.restartUnit(firewallKey(host), at);
    (await this.gens()).set(firewallKey(host), generation);
    await this.store.addEvents([{ at, kind: 'firewall', subject: host, state: 'reapply', message: `${by} asked ${host} to apply its firewall again`, data: { host, generation } }]);
    this.log(`firewall: ${by} asked ${host} to apply its firewall again`);
    this.changed();
    return generation;
  }

  async step(fleet: Fleet, checks: readonly Check[], status: readonly CheckStatus[]): Promise<void> {
    const policies = new Map<string, RemediationPolicy>();
    for (const a of fleet.apps) if (a.remediation) policies.set(a.id, a.remediation);
    if (policies.size === 0) return;
    const t = this.now().getTime();
    const candidates = status.filter((c) => c.state === 'down' && policies.has(c.app) && c.id.startsWith('replica:'));
    if (candidates.length === 0) return;
    const history = new Map<string, number[]>();
    for (const c of candidates) {
      const unit = c.id.slice('replica:'.length);
      const events = await this.store.events({ kind: 'remediation', subject: unit, since: new Date(t - HOUR_MS).toISOString() });
      history.set(unit, events.filter((e) => e.state === 'restarted').map((e) => Date.parse(e.at)));
    }
    const interval = new Map(checks.map((c) => [c.id, c.intervalMs]));
    // Time for the restart to show: the failures it takes to call it, two more probes, and a stop that has to kill.
    const cooldown = (c: CheckStatus) => (policies.get(c.app)!.restartAfter + 2) * (interval.get(c.id) ?? 10_000) + 10_000;
    const due = restartsDue(candidates, policies, history, t, cooldown);
    const at = new Date(t).toISOString();
    for (const r of due.restart) {
      const generation = await this.store.restartUnit(r.unit, at);
      (await this.gens()).set(r.unit, generation);
      this.limitSaid.delete(r.unit);
      await this.store.addEvents([{ at, kind: 'remediation', subject: r.unit, state: 'restarted', message: `restarting ${r.unit} on ${r.host}: ${r.reason}`, data: { app: r.app, host: r.host, generation } }]);
      this.log(`remediation: restarting ${r.unit} on ${r.host} (${r.reason})`);
    }
    for (const r of due.limited) {
      if (this.limitSaid.has(r.unit)) continue;
      this.limitSaid.add(r.unit);
      const max = policies.get(r.app)!.maxPerHour;
      await this.store.addEvents([{ at, kind: 'remediation', subject: r.unit, state: 'limited', message: `not restarting ${r.unit} on ${r.host} again: ${max} restarts in the last hour; it needs a person (${r.reason})`, data: { app: r.app, host: r.host } }]);
    }
    if (due.restart.length) this.changed();
  }
}
