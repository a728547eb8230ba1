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

const CronField = z.string().refine(isCron, 'must be a cron expression, like "15 2 * * *"');

export const BackupCheck = z
  .strictObject({
    schedule: CronField.optional().describe('When to run restic check (cron, host time zone; default "0 5 * * 0", Sundays 05:00).'),
    parts: z.number().int().min(1).max(1000).optional().describe('Each check reads one of this many parts of the data, in turn (--read-data-subset=n/parts), so every byte is read once per `parts` checks (default 4).'),
  })
  .describe('Regular restic check of the repository.');

export const BackupDrill = z
  .strictObject({
    schedule: CronField.optional().describe('When to run a restore drill (cron, host time zone; default "0 4 1 * *", the 1st of each month at 04:00).'),
    verify: z.array(z.string().min(1)).min(1).optional().describe('A command run in the restored directory after restic has verified the files (e.g. ["sqlite3", "data/app.db", "PRAGMA integrity_check"]); a non-zero exit fails the drill.'),
  })
  .describe('Restore drills: restore the newest snapshot into scratch space, verify it, measure the restore time and the data age.');

const Command = z.array(z.string().min(1)).min(1);

export const BackupHooks = z
  .strictObject({
    before: Command.optional().describe('Run before the snapshot, e.g. a database dump into a backed-up volume: in the app\'s container (compose; see `service`) or on the host in the unit\'s data directory (process). A failure fails the run; no snapshot is made.'),
    after: Command.optional().describe('Run after the snapshot, whatever happened (e.g. remove the dump). A failure fails the run (the snapshot stays).'),
    service: z.string().optional().describe('Compose service the commands run in (default: the first service).'),
    stop: z.boolean().optional().describe('Stop the app during the snapshot, for a consistent copy of files it keeps changing; it is started again whatever happens (default false).'),
  })
  .describe('Commands around the snapshot, and stopping the app during it.');

/** Backup fields; all optional so fleet and customer defaults can fill them in. */
export const BackupFields = {
  enabled: z.boolean().optional().describe('false turns backups off for this app (default true when a target is known).'),
  schedule: CronField.optional().describe('When to back up (cron, in the host time zone).'),
  keep: Retention.optional(),
  to: Id.optional().describe('Site that holds the restic repository: another site than the app\'s.'),
  copyTo: Id.optional().describe('Optional third site that gets a copy of every snapshot (restic copy).'),
  volumes: z.array(z.string()).optional().describe('Volumes to back up (default: all of the app\'s volumes).'),
  paths: z.array(z.string()).optional().describe('Extra paths inside the workload to back up.'),
  pruneEvery: z
    .string()
    .regex(/^[1-9]\d*[hd]$/, 'must be hours or days, like "24h" or "7d"')
    .optional()
    .describe('How often restic forget also prunes (removes the data no snapshot needs; reads and rewrites packs, so not on every run): "24h", "7d" (default "7d").'),
  check: BackupCheck.optional(),
  drill: BackupDrill.optional(),
  hooks: BackupHooks.optional(),
};

/** Milliseconds of a pruneEvery value ("24h", "7d"). */
export function pruneEveryMs(text: string): number {
  const n = Number(text.slice(0, -1));
  return text.endsWith('d') ? n * 86_400_000 : n * 3_600_000;
}

export const Backup = z.strictObject(BackupFields).describe('Backup policy.');
