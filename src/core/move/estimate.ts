/**
 * How long moving an app's data takes, and how long it is down (pure): a pre-copy while the app
 * runs, repeated on what changed meanwhile, then a cutover that copies the last delta with the
 * app stopped.
 *
 * The model: the copy runs at `bytesPerSecond` (the slower site uplink times a utilisation
 * factor); the app changes its data at `changePerDay` spread evenly over the day. Round 0 copies
 * everything; each round copies what changed during the round before, so the delta shrinks by
 * the ratio r = change rate / copy rate every round. The pre-copy stops once a round's delta fits
 * in the cutover budget (or after `maxRounds`). r ≥ 1 never converges: the delta grows as fast as
 * it is copied, and only a stop-and-copy of the whole volume can move it. Real change is burstier
 * than "evenly over the day": close to r = 1 the estimate is optimistic, so r above
 * `warnRatio` is warned about.
 */

import { formatBytes } from '../fleet/units.js';

export interface CopyEstimateInput {
  /** Bytes to move (the app's volumes). */
  bytes: number;
  /** Bytes the app changes per day. */
  changePerDay: number;
  /** Copy speed between the sites, bytes per second. */
  bytesPerSecond: number;
  /** Longest final copy the cutover should need, seconds (default 60). */
  cutoverCopySeconds?: number;
  /** Seconds the cutover takes besides copying: stop, start, switch the proxies, verify (default 60). */
  cutoverOverheadSeconds?: number;
  /** Most pre-copy rounds (default 8). */
  maxRounds?: number;
  /** Change/copy ratio above which the plan warns that the copy barely converges (default 0.5). */
  warnRatio?: number;
}

export interface CopyEstimate {
  /** The pre-copy's rounds: bytes and seconds of each. */
  rounds: { bytes: number; seconds: number }[];
  preCopySeconds: number;
  /** What the cutover copies with the app stopped. */
  finalBytes: number;
  /** Expected downtime: the final copy plus the overhead. */
  downtimeSeconds: number;
  /** Change rate / copy rate. */
  ratio: number;
  converges: boolean;
  warnings: string[];
}

const DAY = 86_400;

export function estimateCopy(input: CopyEstimateInput): CopyEstimate {
  const budget = input.cutoverCopySeconds ?? 60;
  const overhead = input.cutoverOverheadSeconds ?? 60;
  const maxRounds = input.maxRounds ?? 8;
  const warnRatio = input.warnRatio ?? 0.5;
  if (!(input.bytesPerSecond > 0)) throw new RangeError('the copy speed must be positive');
  const changePerSecond = Math.max(0, input.changePerDay) / DAY;
  const ratio = changePerSecond / input.bytesPerSecond;
  const warnings: string[] = [];
  if (ratio >= 1) {
    // Stop-and-copy: the whole volume with the app stopped.
    const seconds = input.bytes / input.bytesPerSecond;
    warnings.push(`the app changes ${fmtRate(changePerSecond)} and the copy moves ${fmtRate(input.bytesPerSecond)}: a pre-copy never catches up; only a stop-and-copy moves it (${fmtDuration(seconds)} down), or more bandwidth`);
    return { rounds: [], preCopySeconds: 0, finalBytes: input.bytes, downtimeSeconds: Math.ceil(seconds + overhead), ratio, converges: false, warnings };
  }
  const rounds: { bytes: number; seconds: number }[] = [];
  let delta = input.bytes;
  const fits = budget * input.bytesPerSecond;
  while (rounds.length < maxRounds && (rounds.length === 0 || delta > fits)) {
    const seconds = delta / input.bytesPerSecond;
    rounds.push({ bytes: Math.round(delta), seconds });
    delta = changePerSecond * seconds;
  }
  if (delta > fits) warnings.push(`after ${maxRounds} pre-copy rounds the last delta (${formatBytes(delta)}) still takes ${fmtDuration(delta / input.bytesPerSecond)} to copy: the cutover takes longer than ${fmtDuration(budget)}`);
  if (ratio >= warnRatio) warnings.push(`the app changes ${Math.round(ratio * 100)}% as fast as the copy moves data: the pre-copy converges slowly, and a busier day than average may keep it from converging`);
  const preCopySeconds = rounds.reduce((s, r) => s + r.seconds, 0);
  return { rounds, preCopySeconds, finalBytes: Math.round(delta), downtimeSeconds: Math.ceil(delta / input.bytesPerSecond + overhead), ratio, converges: true, warnings };
}

/** The copy speed between two sites: the slower uplink (bits/s) times the share a migration may use. */
export function copyBytesPerSecond(uplinkA: number | undefined, uplinkB: number | undefined, utilisation = 0.5): number | undefined {
  const links = [uplinkA, uplinkB].filter((x): x is number => x !== undefined && x > 0);
  if (links.length === 0) return undefined;
  return (Math.min(...links) / 8) * utilisation;
}

const fmtRate = (bps: number) => `${formatBytes(bps)}/s`;

export function fmtDuration(s: number): string {
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}
