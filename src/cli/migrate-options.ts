/** Options shared by `hafen migrate plan` and `hafen migrate propose`. */
import { InvalidArgumentError } from 'commander';

export const parseShare = (v: string): number => {
  const m = /^\s*(\d+(?:\.\d+)?)\s*%?\s*$/.exec(v);
  const n = m ? Number(m[1]) : NaN;
  if (!(n > 0 && n <= 100)) throw new InvalidArgumentError(`--share must be a percentage of the customers above 0 and at most 100, like "30%", not "${v}"`);
  return n / 100;
};

export const parseStart = (v: string): Date => {
  const d = new Date(v);
  if (!/^\d{4}-\d\d-\d\d/.test(v) || Number.isNaN(d.getTime())) throw new InvalidArgumentError(`--start must be a date and time like "2026-12-01T12:00Z", not "${v}"`);
  return d;
};

export const parseDays = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 366) throw new InvalidArgumentError(`--days must be a whole number of days from 1 to 366, not "${v}"`);
  return n;
};
