/**
 * How a running HAProxy gets from one rendered config to the next: by Runtime API commands when
 * only servers and exact host names changed — a replica added to an app (`add server`, then its
 * checks and traffic enabled), removed (maintenance, then deleted once it holds no connection),
 * moved to another address, weighted or drained — and by a reload for everything else (new apps,
 * routes, wildcards, checks, a site preference that turns a server into a backup or back).
 */
import { SERVER_CHECKS, type HaproxyConfig, type HaproxyServer } from '../../core/render/haproxy.js';

export interface RuntimeStep {
  command: string;
  /** HAProxy's answer when it worked; without one, any answer but an error word. */
  ok?: RegExp;
}

export type RuntimePlan =
  | { reload: string }
  | {
      steps: RuntimeStep[];
      /** Servers put in maintenance, to be deleted ("backend/server") once they hold no connection. */
      remove: string[];
    };

/** Answers of HAProxy's Runtime API that mean it did not do what was asked. */
export const REFUSED = /^(No such|Unknown|Require|Invalid|.*not found|.*does not exist|.*already exists|.*cannot|.*can't|.*failed)/i;

const key = (s: HaproxyServer) => `${s.backend}/${s.server}`;

export function runtimePlan(prev: HaproxyConfig, next: HaproxyConfig, hostsMap: string): RuntimePlan {
  if (next.structureHash !== prev.structureHash) return { reload: 'the configuration changed beyond servers and host names' };
  if (next.wildcardMap !== prev.wildcardMap) return { reload: 'wildcard host names changed' };
  const had = new Map(prev.servers.map((s) => [key(s), s]));
  const steps: RuntimeStep[] = [];
  // New servers first, so traffic has somewhere to go before anything leaves.
  for (const s of next.servers) {
    const was = had.get(key(s));
    if (!was) {
      steps.push(
        { command: `add server ${key(s)} ${s.address}:${s.port} weight ${s.weight}${s.backup ? ' backup' : ''} ${SERVER_CHECKS}`, ok: /New server registered/ },
        { command: `enable health ${key(s)}` },
        { command: `enable server ${key(s)}` },
      );
      continue;
    }
    if (was.backup !== s.backup) return { reload: `${s.server} ${s.backup ? 'became a backup' : 'is no longer a backup'} (the site preference changed)` };
    if (was.address !== s.address || was.port !== s.port) steps.push({ command: `set server ${key(s)} addr ${s.address} port ${s.port}` });
    if (was.weight !== s.weight) steps.push({ command: `set server ${key(s)} weight ${s.weight}` });
  }
  for (const command of mapSteps(hostsMap, prev.hostsMap, next.hostsMap)) steps.push({ command });
  const keep = new Set(next.servers.map(key));
  const remove = prev.servers.map(key).filter((k) => !keep.has(k));
  for (const k of remove) steps.push({ command: `set server ${k} state maint` });
  return { steps, remove };
}

function mapEntries(text: string): Map<string, string> {
  return new Map(text.split('\n').filter(Boolean).map((l) => l.split(' ', 2) as [string, string]));
}

/** The Runtime API commands that turn a map file's text `before` into `after`: changed keys set, new ones added, gone ones deleted. */
export function mapSteps(file: string, before: string, after: string): string[] {
  const was = mapEntries(before);
  const now = mapEntries(after);
  const steps: string[] = [];
  for (const [k, v] of now) if (was.get(k) !== v) steps.push(was.has(k) ? `set map ${file} ${k} ${v}` : `add map ${file} ${k} ${v}`);
  for (const k of was.keys()) if (!now.has(k)) steps.push(`del map ${file} ${k}`);
  return steps;
}
