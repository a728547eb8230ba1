/**
 * The revision keeper: the newest revision, rendered and cached (the snapshot); plan, apply
 * and rollback with the revision check; the revision that ends a move; secrets, whose versions
 * are part of what a revision renders to. Every change it makes is announced on the change bus.
 */
import type { Fleet } from '../core/fleet/model.js';
import type { FleetSource, ParsedFile } from '../core/fleet/source.js';
import { validateFleet } from '../core/fleet/validate.js';
import type { IpamResult } from '../core/ipam/allocate.js';
import type { AllocationRecord } from '../core/ipam/record.js';
import type { MoveRecord } from '../core/move/record.js';
import type { Placement } from '../core/placement/types.js';
import type { Rollout } from '../core/plan/rollout.js';
import { backupSecretName } from '../core/render/backups.js';
import { hostStateHash, type HostDesiredState } from '../core/render/desired.js';
import { secretUses } from '../core/render/env.js';
import { addressesOf, render } from '../core/render/revision.js';
import { contentHash } from '../core/util/canonical.js';
import { HafenError } from '../lib/errors.js';
import type { ChangeBus } from './change-bus.js';
import type { Holds } from './holds.js';
import { planBody, prepareFleet, type PrepareContext } from './prepare.js';
import type { Planner } from './planner.js';
import { blobsOf, loadStoredFleet, storedFleet, type Projects } from './projects.js';
import type { Rollouts, SiteRolloutRequest } from './rollouts.js';
import type { Secrets } from './secrets.js';
import { storedRecord, type FleetInput, type PlanResult, type Prepared, type Snapshot } from './snapshot.js';
import type { SecretInfo, Store } from './store/store.js';

export interface RevisionDeps {
  store: Store;
  /** Plans and applies compute in its worker, off the event loop. */
  planner: Planner;
  secrets: Secrets;
  holds: Holds;
  /** The staged rollouts (an apply to one site starts one; none may run while another applies). */
  rollouts(): Rollouts;
  bus: ChangeBus;
  now(): Date;
}

/** What an apply stores: the fleet, on top of which revision, by whom. */
export interface ApplyRequest {
  sources: FleetSource[];
  /** The compose project directories the fleet names (received with the request, or a stored revision's). */
  projects?: Projects;
  /** The revision the plan was made against (null: none yet); refused when another is newer. */
  parent: number | null;
  author: string;
  message?: string;
  /** Roll the change out to one site in stages; the other sites' changed hosts stay held. */
  site?: SiteRolloutRequest;
  /** The fleet's ipam.lock, as the CLI sends it. */
  lock?: AllocationRecord;
  /** Placements to start from instead of the newest revision's (a move placing its target). */
  previous?: readonly Placement[];
  /** Apply although it removes every host or stops more than DESTROY_SHARE of the replicas. */
  allowDestroy?: boolean;
}

export type ApplyResult = PlanResult & { revision: number; rollout?: Rollout; held?: string[] };

export class RevisionKeeper {
  private snapshot?: Snapshot;
  /** Parsed fleet files by name: a plan re-parses only the files that changed. */
  private readonly parsed = new Map<string, ParsedFile>();

  constructor(private readonly deps: RevisionDeps) {}

  /** The newest revision, rendered (cached until the next revision or secret change). */
  async current(): Promise<Snapshot | undefined> {
    const head = await this.deps.store.head();
    if (!head) return undefined;
    if (this.snapshot?.revision === head.number) return this.snapshot;
    const rev = (await this.deps.store.getRevision(head.number))!;
    const { sources, projects } = await loadStoredFleet(rev.fleet, this.deps.store, this.deps.secrets);
    const res = validateFleet(sources, { parseCache: this.parsed, projects, ...storedRecord(rev.allocations) });
    if (!res.fleet) throw new HafenError('HAFEN_STORE_CORRUPT', `revision ${rev.number} no longer validates (${res.problems[0]?.message ?? 'unknown problem'})`);
    return this.remember(rev.number, res.fleet, { sources, projects }, rev.placements, await this.deps.secrets.versions(), res.ipam);
  }

  /** An earlier revision's desired states, with today's secret versions (for hosts held at it). */
  async renderRevision(number: number): Promise<Map<string, HostDesiredState>> {
    const rev = await this.deps.store.getRevision(number);
    if (!rev) throw new HafenError('HAFEN_STORE_CORRUPT', `hosts are held at revision ${number}, which is not in the store`);
    const { sources, projects } = await loadStoredFleet(rev.fleet, this.deps.store, this.deps.secrets);
    const res = validateFleet(sources, { projects, ...storedRecord(rev.allocations) });
    if (!res.fleet) throw new HafenError('HAFEN_STORE_CORRUPT', `revision ${number} no longer validates (${res.problems[0]?.message ?? 'unknown problem'})`);
    return render(res.fleet, rev.placements, number, await this.deps.secrets.versions(), res.ipam);
  }

  /** Renders and caches a revision (after an apply, from what was just planned: no second parse). */
  private remember(revision: number, fleet: Fleet, { sources, projects }: FleetInput, placements: Placement[], secretVersions: ReadonlyMap<string, number>, ipam: IpamResult | undefined, rendered?: Map<string, HostDesiredState>): Snapshot {
    const addresses = addressesOf(ipam);
    const desired = rendered ?? render(fleet, placements, revision, secretVersions, ipam);
    const hashes = new Map([...desired].map(([host, s]) => [host, hostStateHash(s)]));
    this.snapshot = { revision, fleet, sources, projects, placements, desired, hashes, addresses, ...(ipam ? { ipam } : {}) };
    return this.snapshot;
  }

  /**
   * POST /v1/plan's body as received: parsed, checked and planned in the planner's worker. Without
   * a site the answer is the plan's JSON, ready to send; with one, the plan with the rollout's
   * stages and the hosts held elsewhere.
   */
  async planBody(body: Uint8Array): Promise<Uint8Array | (PlanResult & { stages: string[][]; held: string[] })> {
    const ctx = await this.prepareContext();
    const answer = await planBody(ctx, body);
    if ('json' in answer) return answer.json;
    const cur = ctx.current;
    const staged = await this.deps.rollouts().plan({ site: answer.site }, answer.planned.fleet.hosts, answer.planned.desired, cur, (cur?.revision ?? 0) + 1, 'plan');
    return { ...answer.planned.plan, stages: staged.rollout?.stages ?? [], held: staged.elsewhere };
  }

  private async prepareContext(): Promise<PrepareContext> {
    return { planner: this.deps.planner, secrets: this.deps.secrets, holds: this.deps.holds, current: await this.current() };
  }

  /** The plan, and what an apply of it keeps (prepare.ts); `previous` instead of the newest revision's placements. */
  private async prepare(input: FleetInput, lock?: AllocationRecord, previous?: readonly Placement[]): Promise<Prepared> {
    return prepareFleet(await this.prepareContext(), input, lock, previous);
  }

  /**
   * Stores the request's fleet as a new revision on top of its parent. Refuses an invalid
   * fleet, replicas that cannot be placed, and a parent that is no longer the newest revision.
   * Without a site every host gets it at once (holds end); with a site the hosts that change are
   * held and a staged rollout takes the site's through (rollouts.ts); a fleet equal to the
   * newest revision's (as parsed: comments and file names aside) makes no new revision, only
   * the rollout of the held hosts at the site.
   */
  async apply(req: ApplyRequest): Promise<ApplyResult> {
    const { sources, parent, author, message, site } = req;
    const projects = req.projects ?? new Map();
    const prepared = await this.prepare({ sources, projects }, req.lock, req.previous);
    const { plan } = prepared;
    const rollouts = this.deps.rollouts();
    const running = await rollouts.running();
    if (running) {
      throw new HafenError('HAFEN_ROLLOUT_RUNNING', `rollout ${running.id} (revision ${running.revision} at ${running.site}) is still running; wait for it (hafen rollout status ${running.id}) or abort it (hafen rollout abort ${running.id})`);
    }
    if (plan.parent !== parent) {
      throw new HafenError('HAFEN_STORE_REVISION_CONFLICT', `the fleet changed since you planned: revision ${plan.parent ?? 'none'} is now the newest, you planned against ${parent ?? 'none'}; plan and apply again`);
    }
    if (plan.unplaced.length > 0) {
      throw new HafenError('HAFEN_PLAN_UNPLACED', `${plan.unplaced.length} replica(s) cannot be placed; nothing was changed`, { details: plan.unplaced });
    }
    const destroys = req.allowDestroy ? undefined : plan.destroy.refusal;
    if (destroys) throw new HafenError('HAFEN_APPLY_DESTROYS', `the apply is refused: ${destroys}; nothing was changed. If that is meant, apply with --allow-destroy (API: allowDestroy: true)`, { details: plan.destroy });
    // Each app with backups has its repository password (secret backup-<app>), made the first
    // time a revision backs the app up and never changed by hafen after.
    const passwords = prepared.fleet.apps.filter((a) => a.backup).map((a) => backupSecretName(a.id));
    await this.deps.secrets.makeMissing(passwords, 'hafen (backup repository password)', this.deps.now());
    const cur = await this.current();
    const staged = site && (await rollouts.plan(site, prepared.fleet.hosts, prepared.desired, cur, (parent ?? 0) + 1, author));
    if (staged && cur && contentHash(prepared.fleet) === contentHash(cur.fleet) && contentHash(prepared.ipam?.record ?? null) === contentHash(cur.ipam?.record ?? null)) {
      // Nothing new to store: roll the newest revision out to the site's held hosts.
      const rollout = staged.rollout && (await this.deps.store.saveRollout({ ...staged.rollout, revision: cur.revision }, staged.holds));
      this.deps.holds.changed();
      this.deps.bus.emit('revision', cur.revision);
      return { ...plan, revision: cur.revision, ...(rollout ? { rollout } : {}), held: staged.elsewhere };
    }
    const rev = await this.deps.store.appendRevision({
      parent,
      fleet: storedFleet(sources, projects),
      placements: plan.placements,
      diff: plan.diff,
      author,
      createdAt: this.deps.now().toISOString(),
      ...(message ? { message } : {}),
      ...(prepared.ipam ? { allocations: prepared.ipam.record } : {}),
      holds: staged ? staged.holds : [],
      ...(staged && staged.rollout ? { rollout: staged.rollout } : {}),
      blobs: blobsOf(projects, this.deps.secrets),
    });
    this.deps.holds.changed();
    // The plan rendered revision parent+1, which this is; reuse it unless a secret changed meanwhile.
    const versions = await this.deps.secrets.versions();
    this.remember(rev.number, prepared.fleet, { sources, projects }, plan.placements, versions, prepared.ipam, versions === prepared.secretVersions ? prepared.desired : undefined);
    this.deps.bus.emit('revision', rev.number);
    const rollout = rev.rolloutId !== undefined ? await this.deps.store.rollout(rev.rolloutId) : undefined;
    return { ...plan, revision: rev.number, ...(rollout ? { rollout } : {}), ...(staged ? { held: staged.elsewhere } : {}) };
  }

  /**
   * The revision that ends a move: the newest fleet, the move's replicas at its target (none
   * when the newest revision has them there already). Refused, and tried again by the move,
   * while a rollout runs or when the target no longer fits.
   */
  async placeMove(r: MoveRecord): Promise<number> {
    const cur = await this.current();
    if (!cur) throw new HafenError('HAFEN_MIGRATE_NO_REVISION', 'the controller runs no fleet');
    const target = (p: Placement) => (p.app === r.move.app ? r.move.targets.find((t) => t.replica === p.replica) : undefined);
    if (cur.placements.every((p) => !target(p) || p.host === target(p)!.to)) return cur.revision;
    const moved = cur.placements.map((p) => (target(p) ? { ...p, host: target(p)!.to, site: r.move.to } : p));
    const plan = (await this.prepare(cur, cur.ipam?.record, moved)).plan;
    const off = plan.placements.find((p) => target(p) && p.host !== target(p)!.to);
    if (off) throw new HafenError('HAFEN_MIGRATE_TARGET_GONE', `${r.move.app}-r${off.replica} no longer fits on ${target(off)!.to} in the newest fleet (it would go to ${off.host})`);
    const lock = cur.ipam?.record;
    const applied = await this.apply({ sources: cur.sources, projects: cur.projects, parent: cur.revision, author: `migration ${r.id}`, message: `move ${r.move.app} from ${r.move.from} to ${r.move.to}`, ...(lock ? { lock } : {}), previous: moved });
    return applied.revision;
  }

  /** Applies the fleet of an earlier revision as a new revision. */
  async rollback(to: number, author: string, allowDestroy = false): Promise<ApplyResult> {
    const old = await this.deps.store.getRevision(to);
    if (!old) throw new HafenError('HAFEN_REVISION_NOT_FOUND', `there is no revision ${to}`);
    const head = await this.deps.store.head();
    const { sources, projects } = await loadStoredFleet(old.fleet, this.deps.store, this.deps.secrets);
    return this.apply({ sources, projects, parent: head?.number ?? null, author, message: `rollback to revision ${to}`, ...(allowDestroy ? { allowDestroy } : {}) });
  }

  /** Sets a secret; the units using it get a new hash, and their agents restart them with the new value. */
  async setSecret(name: string, value: string, author: string): Promise<SecretInfo> {
    const info = await this.deps.secrets.set(name, value, author, this.deps.now());
    await this.secretsChanged();
    return info;
  }

  /** Deletes a secret, unless the newest revision uses it. */
  async deleteSecret(name: string): Promise<void> {
    const users = await this.secretUsers(name);
    if (users.length > 0) {
      throw new HafenError('HAFEN_SECRET_IN_USE', `secret "${name}" is used by ${users.join(', ')} in revision ${(await this.current())?.revision}; apply a fleet without it first`);
    }
    if (!(await this.deps.secrets.remove(name, this.deps.now()))) throw new HafenError('HAFEN_SECRET_NOT_FOUND', `there is no secret "${name}"`);
    await this.secretsChanged();
  }

  /** Apps of the newest revision that use the secret. */
  async secretUsers(name: string): Promise<string[]> {
    const cur = await this.current();
    return [...new Set(secretUses(cur?.fleet ?? { apps: [] }).filter((u) => u.secret === name).map((u) => u.app))];
  }

  /** Re-renders the current revision with the new secret versions and wakes the agents. */
  private async secretsChanged(): Promise<void> {
    this.snapshot = undefined;
    this.deps.holds.secretsChanged();
    const cur = await this.current();
    if (cur) this.deps.bus.emit('revision', cur.revision);
  }
}
