/**
 * Moves between sites as the controller keeps them (core/move): proposed on the newest
 * revision's fleet and placements, one record per planned move, each with a consent link for
 * its customer; answered through that link or by an operator; reminded and expired by `tick`.
 * Every change is stored with its event and the notification it causes in one transaction, so
 * a restart neither repeats nor loses one. Accepted live moves run here once core `mayRun`
 * says so: live moves by core/move/run.ts, cutovers by core/move/cutover.ts (their
 * overlay and copy orders go to agents and proxies through pulls.ts).
 */
import { randomBytes } from 'node:crypto';
import type { Fleet } from '../core/fleet/model.js';
import { parseDuration } from '../core/fleet/schema/monitoring.js';
import type { Notification } from '../core/alerting/groups.js';
import { answer, cancel, mayRun, newRecord, preCopying, step, type ConsentAnswer, type Decision, type MoveEvent, type MoveRecord } from '../core/move/consent.js';
import { moveMessage, type MessageKind } from '../core/move/messages.js';
import { advanceRun, control, DEFAULT_RUN, finished, overlayOf, startRun, targetView, type HostReportView, type MoveOverlay, type RunOptions, type RunStep } from '../core/move/run.js';
import { resolveMoves, shareRequests, type MoveRequest, type MoveStrategy } from '../core/move/moves.js';
import { planWaves } from '../core/move/waves.js';
import { advanceCutover, cutoverMaintenance, DEFAULT_CUTOVER, type CutoverOptions } from '../core/move/cutover.js';
import { advanceSwitchover, placed } from '../core/move/switchover.js';
import { copyView, fleetOrderContext, moveOrders } from '../core/move/copy-orders.js';
import type { MoveAccessGrant, MoveAgentReport, MoveCopyOrder } from '../core/render/move-orders.js';
import { unitName } from '../core/render/names.js';
import type { HostReport } from '../core/report/host-report.js';
import { HafenError } from '../lib/errors.js';
import { hashToken } from '../lib/secrets.js';
import type { Placement } from '../core/placement/types.js';
import type { Snapshot } from './snapshot.js';
import type { Standbys } from './standbys.js';
import type { MoveCommit, Store } from './store/store.js';
import type { MoveProposal, MoveProposeRequest } from '../client/move-types.js';

export type { MoveProposal as Proposal, MoveProposeRequest as ProposeRequest };

export interface CustomerView {
  id: string;
  app: string;
  customer: string;
  timezone: string;
  from: string;
  to: string;
  strategy: MoveStrategy;
  start: string;
  end: string;
  downtimeSeconds: number;
  state: MoveRecord['state'];
  answerBy: string;
  answer?: { decision: Decision; by: string; at: string };
  /** What the customer may still answer. */
  decisions: Decision[];
}

export interface MoveDeps {
  store: Store;
  /** The last report of a host's agent (its body as sent, and when it came). */
  report(host: string): Promise<{ reportedAt: string; status: HostReport } | undefined>;
  /** Whether the hosts' last reports can be acted on (host-reports.ts `settled`): a running move waits until they are. */
  settled(hosts: Iterable<string>): boolean;
  /** Stores a revision of the newest fleet with the move's replicas at its target (idempotent: none when already so); returns its number. */
  place(r: MoveRecord): Promise<number>;
  /** What agents or proxies get changed (a move's overlay). */
  changed(): void;
  /** The consent link's token of a migration (derived from the controller's key, so reminders can carry it again). */
  linkToken(id: string): string;
  current(): Promise<Snapshot | undefined>;
  /** Standby apps' writers, for switchover moves (controller/standbys.ts). */
  standby: Pick<Standbys, 'moveView' | 'switchover'>;
  now(): Date;
  log(line: string): void;
}

const REMIND_DEFAULT_MS = 86_400_000;

/** The live-move timing of the fleet's policy. */
function runOptions(fleet: Fleet | undefined): RunOptions {
  const live = fleet?.policies.migrations.live;
  if (!live) return DEFAULT_RUN;
  const s = (d: string, fallback: number) => (parseDuration(d) ?? fallback * 1000) / 1000;
  return { weights: live.weights, stepSeconds: s(live.step, DEFAULT_RUN.stepSeconds), startTimeoutSeconds: s(live.startTimeout, DEFAULT_RUN.startTimeoutSeconds), drainSeconds: s(live.drain, DEFAULT_RUN.drainSeconds) };
}

/** The cutover timing of the fleet's policy. */
function cutoverOptions(fleet: Fleet | undefined, run: RunOptions): CutoverOptions {
  const c = fleet?.policies.migrations.cutover;
  if (!c) return { ...DEFAULT_CUTOVER, startTimeoutSeconds: run.startTimeoutSeconds };
  return { ...DEFAULT_CUTOVER, rounds: c.rounds, verifySeconds: (parseDuration(c.verify) ?? DEFAULT_CUTOVER.verifySeconds * 1000) / 1000, startTimeoutSeconds: run.startTimeoutSeconds };
}


/** A host's last report as moves read it. */
type HostView = HostReportView & { address?: string; moves?: MoveAgentReport };

export class Moves {
  private ticking = false;
  /** Running moves (their overlay is what agents and proxies get on top of the newest revision). */
  private running: MoveRecord[] = [];
  private opts: RunOptions = DEFAULT_RUN;
  private loaded?: Promise<void>;

  constructor(private readonly deps: MoveDeps) {}

  /** Plans the moves and proposes each to its customer (or announces it, when its customer chose so). */
  async propose(req: MoveProposeRequest, author: string): Promise<MoveProposal> {
    const cur = await this.deps.current();
    if (!cur) throw new HafenError('HAFEN_MIGRATE_NO_REVISION', 'the controller runs no fleet yet: hafen apply one first');
    const fleet = cur.fleet;
    for (const site of [req.to, req.from]) {
      if (site !== undefined && !fleet.sites.some((s) => s.id === site)) throw new HafenError('HAFEN_MIGRATE_INVALID', `no site "${site}" in revision ${cur.revision}`);
    }
    const open = await this.deps.store.moves({ open: true, limit: 1000 });
    if (open.length > 0) {
      throw new HafenError('HAFEN_MIGRATE_OPEN', `${open.length} move${open.length === 1 ? ' is' : 's are'} still open: proposed, accepted or running (${open.slice(0, 3).map((m) => m.id).join(', ')}${open.length > 3 ? ', …' : ''}): one wave plan at a time; let them run, or cancel them, before proposing more`);
    }
    const now = this.deps.now();
    const start = req.start ? new Date(req.start) : now;
    if (Number.isNaN(start.getTime())) throw new HafenError('HAFEN_MIGRATE_INVALID', `start "${req.start}" is not a time`);
    const requests: MoveRequest[] = req.share !== undefined ? shareRequests(fleet, cur.placements, req.to, req.share, req.from) : (req.apps ?? []).map((app) => ({ app, to: req.to, ...(req.from ? { from: req.from } : {}) }));
    const { moves, problems } = resolveMoves(fleet, cur.placements, requests);
    const { placements: _placements, ...plan } = planWaves(fleet, cur.placements, moves, { from: start < now ? now : start, askedAt: now, days: req.days ?? 28 });
    const commit: MoveCommit = { records: [], events: [], outbox: [] };
    const warnings = new Set<string>();
    const migrations: MoveRecord[] = [];
    for (const move of plan.scheduled) {
      const { record, event } = newRecord(`mig_${randomBytes(8).toString('hex')}`, move, cur.revision, now);
      commit.records.push({ record, tokenHash: hashToken(this.deps.linkToken(record.id)) });
      commit.events.push({ ...event, detail: `${event.detail} (by ${author})` });
      this.tell(commit, fleet, record, record.consent.needed ? 'proposal' : 'announcement', now, warnings);
      migrations.push(record);
    }
    await this.deps.store.saveMoves(commit);
    for (const r of migrations) this.deps.log(`migration ${r.id}: ${r.app} ${r.move.from} → ${r.move.to} ${r.state} (${r.move.start})`);
    return { revision: cur.revision, plan, problems, migrations, warnings: [...warnings] };
  }

  async byToken(token: string): Promise<MoveRecord | undefined> {
    return /^hfc_[A-Za-z0-9_-]{43}$/.test(token) ? this.deps.store.moveByToken(hashToken(token)) : undefined;
  }

  /** What the customer's page shows: the move in its words, no hosts, no internals. */
  async customerView(r: MoveRecord): Promise<CustomerView> {
    const fleet = (await this.deps.current())?.fleet;
    const site = (id: string) => fleet?.sites.find((s) => s.id === id)?.name ?? id;
    const c = fleet?.customers.find((x) => x.id === r.customer);
    const m = r.move;
    const open = r.state === 'proposed' || ((r.state === 'accepted' || preCopying(r)) && this.deps.now().getTime() < Date.parse(m.start));
    const decisions: Decision[] = r.state === 'proposed' ? ['accept', 'decline', 'another-window'] : open ? ['decline', 'another-window'] : [];
    const a = r.consent.answer;
    return {
      id: r.id, app: m.app, customer: c?.name ?? r.customer, timezone: c?.timezone ?? 'UTC', from: site(m.from), to: site(m.to), strategy: m.strategy,
      start: m.start, end: m.end, downtimeSeconds: m.downtimeSeconds, state: r.state, answerBy: r.consent.answerBy,
      ...(a ? { answer: { decision: a.decision, by: a.by, at: a.at } } : {}), decisions,
    };
  }

  /** The customer answers through its link (the token is the only credential). */
  async answerByToken(token: string, a: { decision: Decision; by?: string; note?: string }): Promise<MoveRecord> {
    const r = await this.byToken(token);
    if (!r) throw new HafenError('HAFEN_MIGRATE_LINK_NOT_FOUND', 'this link is not (or no longer) valid');
    const c = (await this.deps.current())?.fleet.customers.find((x) => x.id === r.customer);
    return this.record(r, { decision: a.decision, by: a.by?.trim() || (c?.name ?? r.customer), at: this.deps.now().toISOString(), via: 'link', ...(a.note ? { note: a.note } : {}) });
  }

  /** An operator records the customer's answer given another way (phone, mail). */
  async answerByOperator(id: string, a: { decision: Decision; by: string; note?: string }, author: string): Promise<MoveRecord> {
    const r = await this.get(id);
    return this.record(r, { decision: a.decision, by: `${a.by} (recorded by ${author})`, at: this.deps.now().toISOString(), via: 'operator', ...(a.note ? { note: a.note } : {}) });
  }

  async cancel(id: string, author: string): Promise<MoveRecord> {
    const r = await this.get(id);
    const now = this.deps.now();
    const res = cancel(r, author, now);
    if ('error' in res) throw new HafenError('HAFEN_MIGRATE_CLOSED', res.error);
    await this.save(res.record, res.event, 'cancelled', now);
    return res.record;
  }

  async get(id: string): Promise<MoveRecord> {
    const r = await this.deps.store.move(id);
    if (!r) throw new HafenError('HAFEN_MIGRATE_NOT_FOUND', `no migration ${id}`);
    return r;
  }

  /**
   * Reminds unanswered proposals and expires overdue ones, starts accepted moves whose time has
   * come, and takes running ones a step further (the controller calls it every second).
   */
  async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      const open = await this.deps.store.moves({ open: true, limit: 10_000 });
      this.running = open.filter((r) => r.state === 'running');
      this.loaded ??= Promise.resolve();
      if (open.length === 0) return;
      const cur = await this.deps.current();
      const every = parseDuration(cur?.fleet.policies.migrations.notify?.remindEvery ?? '') ?? REMIND_DEFAULT_MS;
      const opts = runOptions(cur?.fleet);
      this.opts = opts;
      const cutover = cutoverOptions(cur?.fleet, opts);
      const now = this.deps.now();
      for (const r of open) {
        if (r.state === 'proposed') {
          const s = step(r, now, every);
          if (s) await this.save(s.record, s.event, s.notify === 'reminder' ? 'reminder' : 'expired', now);
        } else if (r.state === 'accepted' && mayRun(r, now)) {
          await this.saveRun(startRun(r, now), 'started');
        } else if (r.state === 'running' && this.deps.settled(r.move.targets.flatMap((t) => [t.from, t.to]))) {
          await (r.move.strategy === 'cutover' ? this.advanceCutover(r, now, cutover) : r.move.strategy === 'switchover' ? this.advanceSwitchover(r, now, opts) : this.advance(r, now, opts));
        }
      }
    } finally {
      this.ticking = false;
    }
  }

  /** The running moves, read from the store once (after a start or an election), then kept with every change. */
  private async load(): Promise<void> {
    this.loaded ??= this.deps.store.moves({ open: true, limit: 10_000 }).then(async (open) => {
      this.running = open.filter((r) => r.state === 'running');
      this.opts = runOptions((await this.deps.current())?.fleet);
    });
    // A failed read is not kept: the next call tries again.
    await this.loaded.catch((err: unknown) => {
      this.loaded = undefined;
      throw err;
    });
  }

  /** The overlay of the running moves. */
  async overlays(): Promise<MoveOverlay[]> {
    await this.load();
    return overlayOf(this.running, this.opts);
  }

  /** Switchover moves' targets while they run as standbys: they copy from the writer like the placed ones. */
  async standbyTargets(): Promise<Placement[]> {
    const overlays = (await this.overlays()).filter((o) => o.standby);
    if (overlays.length === 0) return [];
    const sites = new Map((await this.deps.current())?.fleet.hosts.map((h) => [h.id, h.site]) ?? []);
    return overlays.flatMap((o) => o.units.map((u) => ({ app: o.app, replica: u.replica, host: u.to, site: sites.get(u.to) ?? '' })));
  }

  /**
   * What running cutovers ask of a host's agent: data to pull (a target), keys to let in (a
   * source). Only once the running moves are read: before, a restarted controller would send
   * a target's agent no copy order, and the agent would give up the round it was copying.
   */
  async movesFor(host: string): Promise<{ copies: MoveCopyOrder[]; access: MoveAccessGrant[] }> {
    await this.load();
    const cutovers = this.running.filter((r) => r.move.strategy === 'cutover');
    if (cutovers.length === 0) return { copies: [], access: [] };
    const cur = await this.deps.current();
    if (!cur) return { copies: [], access: [] };
    const reports = await this.views(cutovers.flatMap((r) => r.move.targets.flatMap((t) => [t.from, t.to])));
    return moveOrders(
      cutovers,
      host,
      fleetOrderContext(
        cur.fleet,
        (h) => reports.get(h)?.address ?? cur.addresses.get(h),
        (h) => reports.get(h)?.moves,
      ),
    );
  }

  /**
   * A host reported: when the keys its agent made for cutover copies changed, the source hosts
   * must let the new ones in (their desired state changes).
   */
  reported(before: HostReport | undefined, after: HostReport): void {
    if (JSON.stringify(before?.agent?.moves?.keys) !== JSON.stringify(after.agent?.moves?.keys)) this.deps.changed();
  }

  /** The last reports of these hosts, each read once. */
  private async views(hosts: Iterable<string>): Promise<Map<string, HostView>> {
    const out = new Map<string, HostView>();
    for (const h of new Set(hosts)) {
      const rep = await this.deps.report(h);
      if (!rep) continue;
      const { units, agent } = rep.status;
      out.set(h, { reportedAt: rep.reportedAt, units, ...(agent?.address ? { address: agent.address } : {}), ...(agent?.moves ? { moves: agent.moves } : {}) });
    }
    return out;
  }

  /** Running cutovers' downtime as planned work: their app's alerts are muted (core cutoverMaintenance). */
  async maintenance(): Promise<ReturnType<typeof cutoverMaintenance>> {
    await this.load();
    return cutoverMaintenance(this.running, this.deps.now());
  }

  /** Pause, resume or abort a running move. */
  async control(id: string, action: 'pause' | 'resume' | 'abort', author: string): Promise<MoveRecord> {
    const r = await this.get(id);
    const res = control(r, action, author, this.deps.now());
    if ('error' in res) throw new HafenError('HAFEN_MIGRATE_CLOSED', res.error);
    await this.saveRun(res);
    return res.record;
  }

  private async advance(r: MoveRecord, now: Date, opts: RunOptions): Promise<void> {
    const t = r.move.targets[0]!;
    const cur = await this.deps.current();
    const unit = cur?.desired.get(t.from)?.units.find((u) => u.name === `${r.move.app}-r${t.replica}`);
    const report = (await this.views([t.to])).get(t.to);
    const view = unit ? targetView(report, unit, r.run!.startedAt) : { state: 'failed' as const, detail: `the newest revision no longer runs ${r.move.app}-r${t.replica} on ${t.from}` };
    await this.take(r, advanceRun(r, view, now, opts));
  }

  /**
   * One step of a running switchover move (core/move/switchover.ts): a switchover it needs is
   * asked for first and the step stored after, so a refused one (a host away) is asked again
   * next tick, until the phase's time runs out.
   */
  private async advanceSwitchover(r: MoveRecord, now: Date, opts: RunOptions): Promise<void> {
    const t = r.move.targets[0]!;
    const s = advanceSwitchover(r, await this.deps.standby.moveView(r.move.app, t.replica, t.to, r.move.to), now, opts);
    if (s?.switchTo) {
      try {
        await this.deps.standby.switchover(r.move.app, s.switchTo);
      } catch (err) {
        this.deps.log(`migration ${r.id}: the switchover of ${r.move.app} to ${s.switchTo} was refused, asking again: ${err instanceof Error ? err.message : String(err)}`);
        return;
      }
    }
    await this.take(r, s, (placedRecord, revision) => placed(placedRecord, this.deps.now(), revision));
  }

  /** Stores a run's step, if it changed anything, and places the final revision when the step asks (then `after` says what follows: done by default). */
  private async take(r: MoveRecord, s: RunStep | undefined, after: (r: MoveRecord, revision: number) => RunStep = (x, revision) => finished(x, this.deps.now(), revision)): Promise<void> {
    if (!s) return;
    // A move placing its revision asks again every tick until it is stored: nothing new to save meanwhile.
    if (s.record !== r || s.event) await this.saveRun(s, s.record.state === 'done' && r.state !== 'done' ? 'finished' : undefined);
    if (!s.finish) return;
    const revision = await this.deps.place(s.record);
    const next = after(s.record, revision);
    await this.saveRun(next, next.record.state === 'done' ? 'finished' : undefined);
  }

  /** One step of a running cutover, from what its hosts report (core/move/cutover.ts). */
  private async advanceCutover(r: MoveRecord, now: Date, opts: CutoverOptions): Promise<void> {
    const cur = await this.deps.current();
    const units = r.move.targets.map((t) => ({ t, unit: cur?.desired.get(t.from)?.units.find((u) => u.name === unitName(r.move.app, t.replica)) }));
    const reports = await this.views(r.move.targets.flatMap((t) => [t.from, t.to]));
    const since = r.run!.phaseSince;
    const missing = units.find((u) => !u.unit);
    const worst = (views: ReturnType<typeof targetView>[]) => views.find((v) => v.state === 'failed') ?? views.find((v) => v.state === 'starting') ?? { state: 'healthy' as const };
    const gone = missing && { state: 'failed' as const, detail: `the newest revision no longer runs ${r.move.app}-r${missing.t.replica} on ${missing.t.from}` };
    const s = advanceCutover(r, {
      copy: copyView(r, (h) => reports.get(h)?.moves),
      sourceStopped: units.every(({ t, unit }) => {
        const rep = reports.get(t.from);
        if (!rep || Date.parse(rep.reportedAt) < Date.parse(since)) return false;
        const seen = rep.units?.find((x) => x.name === unit?.name);
        return !seen || seen.state === 'stopped' || seen.state === 'failed';
      }),
      source: gone || worst(units.map(({ t, unit }) => targetView(reports.get(t.from), unit!, since))),
      // The target runs only after the source stopped: any report of it since counts.
      target: gone || worst(units.map(({ t, unit }) => targetView(reports.get(t.to), unit!, r.run!.stoppedAt ?? since))),
    }, now, opts);
    await this.take(r, s);
  }

  /** Stores a step of a run, tells the customer what it means, and hands the new overlay out. */
  private async saveRun(s: RunStep | { record: MoveRecord; event: MoveEvent }, tellAs?: 'started' | 'finished'): Promise<void> {
    const commit: MoveCommit = { records: [{ record: s.record }], events: s.event ? [s.event] : [], outbox: [] };
    const cur = await this.deps.current();
    const kind: MessageKind | undefined = tellAs === 'started' ? 'started' : tellAs === 'finished' ? 'finished' : s.record.state === 'rolled-back' ? 'rolled-back' : undefined;
    if (cur && kind) this.tell(commit, cur.fleet, s.record, kind, this.deps.now(), new Set());
    await this.deps.store.saveMoves(commit);
    this.running = [...this.running.filter((x) => x.id !== s.record.id), ...(s.record.state === 'running' ? [s.record] : [])];
    this.opts = runOptions(cur?.fleet);
    if (s.event) this.deps.log(`migration ${s.record.id}: ${s.event.detail}`);
    this.deps.changed();
  }

  private async record(r: MoveRecord, a: ConsentAnswer): Promise<MoveRecord> {
    const res = answer(r, a);
    if ('error' in res) throw new HafenError('HAFEN_MIGRATE_CLOSED', res.error);
    await this.save(res.record, res.event, 'answered', new Date(a.at));
    this.deps.log(`migration ${r.id}: ${res.event.detail}`);
    return res.record;
  }

  private async save(record: MoveRecord, event: MoveEvent, kind: MessageKind, now: Date): Promise<void> {
    const commit: MoveCommit = { records: [{ record }], events: [event], outbox: [] };
    const cur = await this.deps.current();
    if (cur) this.tell(commit, cur.fleet, record, kind, now, new Set());
    await this.deps.store.saveMoves(commit);
  }

  /**
   * Queues what the customer is told, through the receiver of policies.migrations.notify: an
   * e-mail receiver writes to the customer's contacts, a webhook receiver gets the JSON. What
   * cannot be sent is an event and a warning, never silence.
   */
  private tell(commit: MoveCommit, fleet: Fleet, r: MoveRecord, kind: MessageKind, now: Date, warnings: Set<string>): void {
    const at = now.toISOString();
    const notify = fleet.policies.migrations.notify;
    const receiver = notify && fleet.alerting.receivers.find((x) => x.id === notify.receiver);
    const customer = fleet.customers.find((c) => c.id === r.customer);
    const unsent = (why: string) => {
      warnings.add(why);
      commit.events.push({ migration: r.id, at, kind: 'not-sent', detail: `${kind} not sent: ${why}` });
    };
    if (!receiver) return unsent('policies.migrations.notify names no receiver: customers are not told; record their answers with hafen migrate consent');
    const emails = (customer?.contacts ?? []).flatMap((c) => (c.email ? [c.email] : []));
    if (receiver.email && emails.length === 0) return unsent(`customer ${r.customer} has no contact with an e-mail address`);
    // The link goes with every message the customer can still answer from.
    const answerable = kind === 'proposal' || kind === 'reminder' || kind === 'announcement' || (kind === 'answered' && r.state === 'accepted');
    const link = notify.publicUrl && answerable ? `${notify.publicUrl.replace(/\/+$/, '')}/v1/consent/${this.deps.linkToken(r.id)}` : undefined;
    const siteNames = new Map(fleet.sites.map((s) => [s.id, s.name ?? s.id]));
    const msg = moveMessage(kind, r, { customerName: customer?.name ?? r.customer, timezone: customer?.timezone ?? 'UTC', siteNames, ...(link ? { link } : {}) });
    const m = r.move;
    const n: Notification = {
      id: `migration:${r.id}/${kind}/${at}`,
      group: `customer:${r.customer}`,
      kind: 'migration',
      severity: 'info',
      customer: r.customer,
      title: msg.title,
      text: msg.text,
      alerts: [],
      at,
      ...(receiver.email ? { to: emails } : {}),
      migration: { id: r.id, app: r.app, message: kind, state: r.state, start: m.start, end: m.end, downtimeSeconds: m.downtimeSeconds, ...(link ? { link } : {}) },
    };
    commit.outbox.push({ id: `${n.id}@${receiver.id}`, receiver: receiver.id, group: n.group, kind: n.kind, severity: n.severity, title: n.title, body: n, createdAt: at, nextAttemptAt: at });
  }
}
