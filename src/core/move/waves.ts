/**
 * The wave planner (pure): fits many moves into the coming days.
 *
 * - A wave is one night: 24 hours from noon UTC (the nights of all three sites' countries fall
 *   inside one). At most `maxCustomersPerWave` customers have a cutover in a wave.
 * - A cutover runs inside one occurrence of its customer's maintenance windows, with room to
 *   roll back before the window ends; a live move needs no window.
 * - Switches (a cutover or a live move's traffic shift) run one at a time, in time order, so
 *   the fleet passes through one known placement after another; each is checked against the
 *   blast-radius rule (step-risk.ts) before it is planned. A move that would break it waits
 *   until other moves make room, or stays unplanned with the reason.
 * - Copies into a site run one at a time (its copy lane) at the share of the uplink the policy
 *   allows: the pre-copy before the window, and the cutover's final copy in it.
 * - The target hosts need room in the wave (targets.ts).
 * - A move that needs its customer's answer switches no earlier than `NOTICE_MS` after its
 *   customers are asked: the answer is due `ANSWER_LEAD_MS` before the start (the team knows the
 *   night's work), and the customer has at least `MIN_ANSWER_MS` to give it.
 * Greedy and deterministic: each round plans the pending move that can start first (ties by id).
 */
import type { Fleet } from '../fleet/model.js';
import type { Placement } from '../placement/types.js';
import type { ResolvedMove } from './moves.js';
import { checkStep, riskBaseline, type Worst } from './step-risk.js';
import { TargetRoom, type Target } from './targets.js';
import { Timeline } from './timeline.js';
import { windowOccurrences } from './windows.js';

export interface WaveOptions {
  from: Date;
  /** When the customers are asked (default: \`from\`): moves needing an answer switch \`NOTICE_MS\` after it at the earliest. */
  askedAt?: Date;
  /** Days ahead to plan into (default 28). */
  days?: number;
}

export interface ScheduledMove extends ResolvedMove {
  targets: Target[];
  /** The pre-copy while the app runs (cutover moves with data). */
  preCopy?: { start: string; end: string };
  /** The switch: the cutover (its downtime at its start) or the live traffic shift. */
  start: string;
  end: string;
  /** The wave's label: the UTC date its night begins on. */
  wave: string;
  /** The maintenance window occurrence a cutover runs in. */
  window?: { start: string; end: string };
  /** The worst failure group once this move is done. */
  after: Worst;
}

export interface UnscheduledMove {
  move: ResolvedMove;
  reason: string;
}

export interface Wave {
  wave: string;
  start: string;
  end: string;
  /** Customers with a cutover in the wave (at most the cap). */
  customers: string[];
  moves: string[];
}

export interface WavePlan {
  from: string;
  until: string;
  maxCustomersPerWave: number;
  scheduled: ScheduledMove[];
  unscheduled: UnscheduledMove[];
  waves: Wave[];
  risk: { limit: number; before: Worst; after: Worst };
  /** The placements once every planned move is done. */
  placements: Placement[];
}

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** How long before its start a move must be agreed: the team needs to know the night's work. */
export const ANSWER_LEAD_MS = 2 * HOUR_MS;
/** The least time a customer has to answer a proposal (an operator on the phone answers at once). */
export const MIN_ANSWER_MS = HOUR_MS;
/** The earliest switch of a move that needs an answer, after its customer is asked. */
export const NOTICE_MS = ANSWER_LEAD_MS + MIN_ANSWER_MS;

/** The noon UTC at or before `t`: where wave 0 begins. */
const noonBefore = (t: number) => {
  const noon = Math.floor(t / DAY_MS) * DAY_MS + 12 * HOUR_MS;
  return noon <= t ? noon : noon - DAY_MS;
};

interface Slot {
  start: number;
  wave: number;
  preCopy?: [number, number];
  window?: [number, number];
  targets: Target[];
}

export function planWaves(fleet: Fleet, placements: readonly Placement[], moves: readonly ResolvedMove[], options: WaveOptions): WavePlan {
  const from = options.from.getTime();
  const noticed = (options.askedAt?.getTime() ?? from) + NOTICE_MS;
  const until = from + (options.days ?? 28) * DAY_MS;
  const origin = noonBefore(from);
  const waveOf = (t: number) => Math.floor((t - origin) / DAY_MS);
  const waveLabel = (w: number) => new Date(origin + w * DAY_MS).toISOString().slice(0, 10);
  const cap = fleet.policies.migrations.maxCustomersPerWave;
  const apps = new Map(fleet.apps.map((a) => [a.id, a]));
  const customers = new Map(fleet.customers.map((c) => [c.id, c]));
  const occurrences = new Map<string, [number, number][]>();
  const windowsOf = (customer: string) => {
    let list = occurrences.get(customer);
    if (!list) {
      const c = customers.get(customer);
      list = c ? windowOccurrences(c.maintenanceWindows, c.timezone, new Date(from - 7 * DAY_MS), new Date(until)).map((o) => [Math.max(o.start.getTime(), from), o.end.getTime()] as [number, number]).filter(([s, e]) => e > s) : [];
      occurrences.set(customer, list);
    }
    return list;
  };

  const base = riskBaseline(fleet, placements);
  const room = new TargetRoom(fleet, placements);
  const lanes = new Map<string, Timeline>();
  const lane = (site: string) => lanes.get(site) ?? lanes.set(site, new Timeline()).get(site)!;
  const waveCustomers = new Map<number, Set<string>>();
  let current = placements.map((p) => ({ ...p }));
  let lastSwitchEnd = from;
  let pending = [...moves].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const reasons = new Map<string, string>();
  const scheduled: ScheduledMove[] = [];

  const staying = (m: ResolvedMove) => current.filter((p) => p.app === m.app && !m.replicas.some((r) => r.replica === p.replica));
  const apply = (m: ResolvedMove, targets: readonly Target[]) =>
    current.map((p) => {
      const t = p.app === m.app ? targets.find((x) => x.replica === p.replica) : undefined;
      return t ? { ...p, host: t.to, site: m.to } : p;
    });

  /** The earliest slot of a move given what is planned, or why there is none. */
  const slotOf = (m: ResolvedMove): Slot | string => {
    const app = apps.get(m.app)!;
    const length = m.switchSeconds * 1000;
    const earliest = m.consent === 'required' ? Math.max(lastSwitchEnd, noticed) : lastSwitchEnd;
    let noRoom: string | undefined;
    const withRoom = (start: number, rest: Omit<Slot, 'start' | 'wave' | 'targets'>): Slot | undefined => {
      const wave = waveOf(start);
      const picked = room.pick(app, m.replicas, staying(m), m.to, wave);
      if ('reason' in picked) {
        noRoom = picked.reason;
        return undefined;
      }
      return { start, wave, targets: picked.targets, ...rest };
    };
    if (m.strategy !== 'cutover') {
      for (let start = earliest; start + length <= until; start = origin + (waveOf(start) + 1) * DAY_MS) {
        const slot = withRoom(start, {});
        if (slot) return slot;
      }
      return noRoom ?? `no time left in the ${options.days ?? 28} days planned`;
    }
    if (m.bytes > 0 && !m.estimate) return m.warnings[0] ?? 'its copy cannot be estimated';
    const windows = windowsOf(m.customer);
    if (windows.length === 0) return `customer ${m.customer} has no maintenance window${customers.get(m.customer)?.maintenanceWindows.length ? ` in the ${options.days ?? 28} days planned` : 's (customers[].maintenanceWindows)'}: its cutover has no agreed time`;
    const preSeconds = m.estimate?.preCopySeconds ?? 0;
    const lanes = lane(m.to);
    const preStart = preSeconds > 0 ? lanes.earliest(from, preSeconds * 1000) : from;
    const preEnd = preStart + preSeconds * 1000;
    let full = 0;
    for (const [ws, we] of windows) {
      if (we <= Math.max(preEnd, earliest)) continue;
      // The lane is free here: every pre-copy booked so far ended before its own switch, and
      // switches run one after another.
      const start = Math.max(ws, preEnd, earliest);
      if (start + length > we) continue;
      const set = waveCustomers.get(waveOf(start));
      if (set && set.size >= cap && !set.has(m.customer)) {
        full++;
        continue;
      }
      const slot = withRoom(start, { window: [ws, we], ...(preSeconds > 0 ? { preCopy: [preStart, preEnd] as [number, number] } : {}) });
      if (slot) return slot;
    }
    if (noRoom) return noRoom;
    if (full > 0) return `every wave with a window of ${m.customer} left is full (${cap} customers per wave)`;
    return `no window of ${m.customer} in the ${options.days ?? 28} days planned holds its ${Math.ceil(length / 60_000)} min cutover${preSeconds > 0 ? ` after the ${Math.ceil(preSeconds / 60)} min pre-copy` : ''}`;
  };

  while (pending.length > 0) {
    const candidates: { m: ResolvedMove; slot: Slot }[] = [];
    for (const m of pending) {
      const slot = slotOf(m);
      if (typeof slot === 'string') reasons.set(m.id, slot);
      else candidates.push({ m, slot });
    }
    candidates.sort((a, b) => a.slot.start - b.slot.start || (a.m.id < b.m.id ? -1 : 1));
    let planned: { m: ResolvedMove; slot: Slot; after: Worst; next: Placement[] } | undefined;
    for (const c of candidates) {
      const next = apply(c.m, c.slot.targets);
      const step = checkStep(fleet, next, base);
      if (step.breaks.length === 0) {
        planned = { ...c, after: step.worst, next };
        break;
      }
      reasons.set(c.m.id, `the blast-radius rule: after moving ${c.m.app}, ${step.breaks[0]}`);
    }
    if (!planned) break;
    const { m, slot, after, next } = planned;
    const end = slot.start + m.switchSeconds * 1000;
    room.commit(apps.get(m.app)!, slot.targets, slot.wave);
    if (slot.preCopy) lane(m.to).add(slot.preCopy[0], slot.preCopy[1]);
    if (m.strategy === 'cutover') {
      lane(m.to).add(slot.start, end);
      const set = waveCustomers.get(slot.wave) ?? new Set<string>();
      set.add(m.customer);
      waveCustomers.set(slot.wave, set);
    }
    lastSwitchEnd = end;
    current = next;
    reasons.delete(m.id);
    pending = pending.filter((x) => x !== m);
    const iso = (t: number) => new Date(t).toISOString();
    scheduled.push({
      ...m,
      targets: slot.targets,
      ...(slot.preCopy ? { preCopy: { start: iso(slot.preCopy[0]), end: iso(slot.preCopy[1]) } } : {}),
      start: iso(slot.start),
      end: iso(end),
      wave: waveLabel(slot.wave),
      ...(slot.window ? { window: { start: iso(slot.window[0]), end: iso(slot.window[1]) } } : {}),
      after,
    });
  }

  const waves = new Map<string, Wave>();
  for (const s of scheduled) {
    const w = waves.get(s.wave) ?? { wave: s.wave, start: s.start, end: s.end, customers: [], moves: [] };
    w.moves.push(s.id);
    if (s.strategy === 'cutover' && !w.customers.includes(s.customer)) w.customers.push(s.customer);
    if (s.end > w.end) w.end = s.end;
    waves.set(s.wave, w);
  }
  const after = scheduled.at(-1)?.after ?? base.worst;
  return {
    from: new Date(from).toISOString(),
    until: new Date(until).toISOString(),
    maxCustomersPerWave: cap,
    scheduled,
    unscheduled: pending.map((move) => ({ move, reason: reasons.get(move.id) ?? 'not planned' })),
    waves: [...waves.values()],
    risk: { limit: base.limit, before: base.worst, after },
    placements: current,
  };
}
