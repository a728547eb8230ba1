/** How an app is watched: the probe interval and thresholds (fleet, customer or app level). */
import { z } from 'zod';

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/** "500ms", "10s", "2m", "1h" in milliseconds; undefined for anything else. */
export function parseDuration(text: string): number | undefined {
  const m = /^\s*(\d+)\s*(ms|s|m|h)\s*$/.exec(text);
  return m ? Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS] : undefined;
}

export const Duration = z.string().regex(/^\s*\d+\s*(ms|s|m|h)\s*$/, 'must be a duration like "10s", "500ms" or "2m"');

export const Monitoring = z
  .strictObject({
    interval: Duration.refine((d) => (parseDuration(d) ?? 0) >= 1000, 'must be at least 1s').optional().describe('How often every site probes each check (default "10s").'),
    timeout: Duration.refine((d) => (parseDuration(d) ?? 0) >= 100, 'must be at least 100ms').optional().describe('How long a probe may take (default "5s", at most the interval).'),
    fall: z.number().int().min(1).max(20).optional().describe('Failures in a row before a site sees a check down (default 2).'),
    rise: z.number().int().min(1).max(20).optional().describe('Successes in a row before a site sees a check up again (default 2).'),
  })
  .describe('Probing of the app\'s checks; app fields win over customer defaults, which win over fleet defaults.');
