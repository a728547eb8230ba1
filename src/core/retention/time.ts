/**
 * Snapshot times as restic keeps them: RFC 3339 with the UTC offset of the machine that made
 * the snapshot. restic puts a snapshot into its hour, day, week, month and year by the wall
 * clock of that offset, not by UTC, so these helpers keep both the instant and the wall clock.
 */

export interface SnapshotTime {
  /** Nanoseconds since the epoch (restic keeps nanoseconds; two snapshots in one millisecond stay apart). */
  ns: bigint;
  /** The wall clock in the snapshot's own offset. */
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  nanos: number;
  /** The offset from UTC in minutes (east positive). */
  offset: number;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

/** Parses "2026-11-26T22:30:33.123456789+01:00"; undefined for anything else. */
export function parseSnapshotTime(text: string): SnapshotTime | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const nanos = Number((m[7] ?? '').padEnd(9, '0'));
  const offset = m[8] === 'Z' ? 0 : (m[8]![0] === '-' ? -1 : 1) * (Number(m[8]!.slice(1, 3)) * 60 + Number(m[8]!.slice(4, 6)));
  const check = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  if (check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) return undefined;
  return { ns: wallToNs(year, month, day, hour, minute, second, nanos, offset), year, month, day, hour, minute, second, nanos, offset };
}

/** The instant of a wall-clock time at a fixed offset; out-of-range fields roll over as Go's time.Date does. */
export function wallToNs(year: number, month: number, day: number, hour: number, minute: number, second: number, nanos: number, offset: number): bigint {
  const d = new Date(0);
  // setUTCFullYear keeps years 0-99 literal (Date.UTC would read them as 1900-1999).
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute - offset, second, 0);
  return BigInt(d.getTime()) * 1_000_000n + BigInt(nanos);
}

/** ISO 8601 week-numbering year and week of a calendar date (Go's Time.ISOWeek). */
export function isoWeek(year: number, month: number, day: number): { year: number; week: number } {
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  const weekday = (d.getUTCDay() + 6) % 7; // Monday 0 .. Sunday 6
  // The Thursday of this week decides the year.
  d.setUTCDate(d.getUTCDate() - weekday + 3);
  const isoYear = d.getUTCFullYear();
  const jan1 = new Date(0);
  jan1.setUTCFullYear(isoYear, 0, 1);
  // Week 1 holds the year's first Thursday: the Thursday's day of the year tells the week.
  const ordinal = Math.round((d.getTime() - jan1.getTime()) / 86_400_000);
  return { year: isoYear, week: Math.floor(ordinal / 7) + 1 };
}
