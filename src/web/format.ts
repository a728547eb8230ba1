/** Numbers and times as the dashboard shows them (pure). */
export { formatBytes } from '../core/fleet/units.js';

export const percent = (share: number): string => (Number.isFinite(share) ? `${Math.round(share * 1000) / 10}%` : '∞');

/** "42 s", "5 min", "3 h", "2 d" ago or ahead: the largest whole unit. */
export function age(seconds: number): string {
  const s = Math.abs(Math.round(seconds));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86_400)} d`;
}

/** Seconds from now until `iso` (negative: in the past). */
export const secondsUntil = (iso: string, now = Date.now()): number => (Date.parse(iso) - now) / 1000;

/** "2026-11-27 14:05 UTC": times in one zone, as the ops team plans windows. */
export const when = (iso: string): string => `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;

export const cores = (n: number): string => `${Math.round(n * 10) / 10}`;

export const count = (n: number): string => n.toLocaleString('en');
