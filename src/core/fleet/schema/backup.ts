/** Backup policy of an app (run by restic; see the backups issue). */
import { Cron } from 'croner';
import { z } from 'zod';
import { Id } from './common.js';

/** True when `pattern` is a cron expression croner accepts (5 or 6 fields, or @daily and friends). */
export function isCron(pattern: string): boolean {
  try {
    // paused: nothing is scheduled; the constructor only parses the pattern.
    new Cron(pattern, { paused: true });
    return true;
  } catch {
    return false;
  }
}

const Count = z.number().int().min(0);

export const Retention = z
  .strictObject({
    last: Count.optional().describe('Keep the last N snapshots.'),
    hourly: Count.optional().describe('Keep one snapshot per hour for N hours.'),
    daily: Count.optional().describe('Keep one snapshot per day for N days.'),
    weekly: Count.optional().describe('Keep one snapshot per week for N weeks.'),
    monthly: Count.optional().describe('Keep one snapshot per month for N months.'),
    yearly: Count.optional().describe('Keep one snapshot per year for N years.'),
    within: z
      .string()
      .regex(/^(\d+[ymdh])+$/, 'must be a restic duration like "14d" or "1y6m" (y years, m months, d days, h hours)')
      .optional()
      .describe('Keep every snapshot younger than this (restic --keep-within, e.g. "14d").'),
  })
  .describe('Which snapshots to keep (restic forget --keep-*).');

/** Backup fields; all optional so fleet and customer defaults can fill them in. */
export const BackupFields = {
  enabled: z.boolean().optional().describe('false turns backups off for this app (default true when a target is known).'),
  schedule: z.string().refine(isCron, 'must be a cron expression, like "15 2 * * *"').optional().describe('When to back up (cron, in the host time zone).'),
  keep: Retention.optional(),
  to: Id.optional().describe('Site that holds the restic repository: another site than the app\'s.'),
  copyTo: Id.optional().describe('Optional third site that gets a copy of every snapshot (restic copy).'),
  volumes: z.array(z.string()).optional().describe('Volumes to back up (default: all of the app\'s volumes).'),
  paths: z.array(z.string()).optional().describe('Extra paths inside the workload to back up.'),
};

export const Backup = z.strictObject(BackupFields).describe('Backup policy.');
