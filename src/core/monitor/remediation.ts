/**
 * Self-healing (pure): which replicas to restart now. A replica is restarted when its app opts
 * in (`remediation` in the fleet), its check is down by quorum, and every site that sees it
 * down has seen it fail `restartAfter` times in a row; at most `maxPerHour` times an hour, and
 * not again before the last restart had time to show (`cooldownMs`). Beyond the hourly limit
 * it is left to people, once said.
 */
import type { CheckStatus } from './status.js';

export interface RemediationPolicy {
  restartAfter: number;
  maxPerHour: number;
}

export interface RestartDecision {
  unit: string;
  app: string;
  host: string;
  reason: string;
}

const HOUR_MS = 3_600_000;

export function unitOfCheck(checkId: string): string | undefined {
  return checkId.startsWith('replica:') ? checkId.slice('replica:'.length) : undefined;
}

/**
 * `history`: when each unit was restarted by remediation (ms). Returns the restarts to make
 * and the units that would qualify but reached their hourly limit.
 */
export function restartsDue(
  checks: readonly CheckStatus[],
  policies: ReadonlyMap<string, RemediationPolicy>,
  history: ReadonlyMap<string, readonly number[]>,
  now: number,
  cooldownMs: (check: CheckStatus) => number,
): { restart: RestartDecision[]; limited: RestartDecision[] } {
  const restart: RestartDecision[] = [];
  const limited: RestartDecision[] = [];
  for (const c of checks) {
    const unit = unitOfCheck(c.id);
    const policy = policies.get(c.app);
    if (!unit || !policy || !c.host || c.state !== 'down') continue;
    const down = Object.values(c.views).filter((v) => v.up === false);
    if (down.length === 0 || down.some((v) => v.fails < policy.restartAfter)) continue;
    const times = history.get(unit) ?? [];
    const last = times.length ? Math.max(...times) : -Infinity;
    if (now - last < cooldownMs(c)) continue;
    const decision = { unit, app: c.app, host: c.host, reason: `${c.title} failed ${Math.min(...down.map((v) => v.fails))} times in a row from ${c.downFrom.join(', ')}` };
    if (times.filter((t) => now - t < HOUR_MS).length >= policy.maxPerHour) limited.push(decision);
    else restart.push(decision);
  }
  return { restart, limited };
}
