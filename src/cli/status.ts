/**
 * `hafen status`: per site, up, degraded or down; per app, desired against running replicas;
 * per host, its last heartbeat; per proxy, the replicas it can use.
 */
import { oneLine } from '../lib/terminal-text.js';
import type { Command } from 'commander';
import type { StatusResponse } from '../client/client.js';
import { EXIT, json, parseFormat, type CliIo, type OutputFormat } from './io.js';
import { remoteClient, remoteOptions, type RemoteOptions } from './remote.js';

export function registerStatus(program: Command, io: CliIo, setExit: (code: number) => void): void {
  remoteOptions(
    program
      .command('status')
      .description('What runs where: each site up, degraded or down; desired and running replicas per app; heartbeats per host; replica health as each edge proxy sees it. Exit 1 when a site is down or an app runs fewer replicas than desired.')
      .option('--site <site>', 'only this site')
      .option('--app <app>', 'only this app')
      .option('--format <format>', 'output format: text or json', parseFormat, 'text' as OutputFormat),
  ).action(async (opts: RemoteOptions & { site?: string; app?: string; format: OutputFormat }) => {
    const st = await remoteClient(opts).status();
    const apps = st.apps
      .filter((a) => !opts.app || a.app === opts.app)
      .map((a) => ({ ...a, units: a.units.filter((u) => !opts.site || u.site === opts.site) }))
      .filter((a) => !opts.site || a.units.length > 0);
    const sites = st.sites.filter((s) => !opts.site || s.site === opts.site);
    const hosts = st.hosts.filter((h) => !opts.site || h.site === opts.site);
    const proxies = st.proxies.filter((p) => !opts.site || p.site === opts.site);
    if (opts.format === 'json') {
      io.stdout(json({ revision: st.revision, sites, apps, hosts, proxies }));
    } else {
      const lines = [`revision ${st.revision ?? 'none'}`];
      for (const s of sites) lines.push(`site ${s.site.padEnd(8)} ${s.state.toUpperCase().padEnd(9)} ${siteDetail(s)}`);
      if (sites.length > 0) lines.push('');
      for (const a of apps) {
        const mark = a.running === a.desired ? 'ok' : 'DEGRADED';
        lines.push(`${a.app.padEnd(32)} ${`${a.running}/${a.desired}`.padEnd(6)} ${mark.padEnd(9)} ${a.units.map(unitDetail).join(', ')}`);
        if (a.standby) lines.push(`  ${standbyDetail(a.standby)}`);
      }
      lines.push('');
      for (const h of hosts) {
        lines.push(`host ${h.host.padEnd(24)} ${h.ageSeconds === null ? 'never reported' : `last heartbeat ${h.ageSeconds} s ago${h.state === 'down' ? ' (DOWN)' : ''}`}`);
        if (h.heldAt !== null) lines.push(`  held at revision ${h.heldAt} by a staged rollout (hafen rollout status)`);
        const fw = h.firewall.reported;
        if (fw && (fw.state === 'rolled-back' || fw.state === 'failed')) lines.push(`  firewall ${fw.state.toUpperCase()} at ${fw.at}: ${fw.error ?? ''} (once mended: hafen firewall reapply ${h.host})`);
        else if (fw?.drifted) lines.push(`  firewall DRIFTED: the live table differs from the ruleset the agent confirmed; apply it again: hafen firewall reapply ${h.host}`);
      }
      if (proxies.length > 0) lines.push('');
      for (const p of proxies) {
        // What each edge proxy sees: replicas it would not send traffic to are named.
        const out = p.replicas.filter((r) => !r.up || r.ejected).map((r) => `${r.id}@${r.site} ${r.ejected ? 'ejected' : 'down'}`);
        lines.push(`proxy ${p.host.padEnd(23)} site ${p.site}, routes revision ${p.revision}, ${p.replicas.length - out.length}/${p.replicas.length} replicas usable${out.length ? `: ${out.join(', ')}` : ''} (${p.ageSeconds} s ago)`);
      }
      io.stdout(`${lines.join('\n')}\n`);
    }
    const degraded = apps.some((a) => a.running < a.desired) || sites.some((s) => s.state === 'down');
    setExit(degraded ? EXIT.invalid : EXIT.ok);
  });
}

type SiteRow = StatusResponse['sites'][number];
type UnitRow = StatusResponse['apps'][number]['units'][number];

function siteDetail(s: SiteRow): string {
  const parts = [`${s.name} (${s.country}, ${s.provider}${s.witness ? ', witness: probes only' : ''})`];
  if (s.state === 'down') parts.push(`lost: every check down as seen from ${s.seenDownBy.join(' and ')}`);
  parts.push(`${s.hostsUp}/${s.hosts} hosts reporting`);
  if (s.replicasDown > 0) parts.push(`${s.replicasDown} replica(s) down`);
  if (s.probers !== 'reporting') parts.push(`probers ${s.probers}`);
  return parts.join(', ');
}

/** A standby app's writer and each standby's lag (what a failover now would lose). */
function standbyDetail(s: NonNullable<StatusResponse['apps'][number]['standby']>): string {
  const copies = s.standbys.map((c) => `${c.unit} ${c.lagSeconds === null ? c.state : `${c.lagSeconds} s behind${c.state === 'behind' ? ' (BEHIND)' : ''}`}${c.state === 'failed' ? ` (copy FAILED${c.error ? `: ${c.error}` : ''})` : ''}`);
  const writer = s.switching ? `switching over to ${s.switching.to}, no writer` : s.active ? `writer ${s.active}${s.writerAddress ? ` at ${s.writerAddress}` : ''}` : 'NO WRITER';
  const how =
    s.replication === 'synchronous'
      ? 'standbys stream from it, a commit waits for one (PostgreSQL, RPO 0 while one streams)'
      : s.replication === 'streaming'
        ? `standbys stream from it (PostgreSQL; alert past ${s.rpoSeconds} s)`
        : `standbys copy every ${s.everySeconds} s (RPO ${s.rpoSeconds} s)`;
  return `term ${s.term}, ${writer}; ${how}: ${copies.join(', ') || 'none'}`;
}

function unitDetail(u: UnitRow): string {
  const notes = [u.healthy === false ? 'unhealthy' : u.healthy ? 'healthy' : '', u.check === 'down' ? 'DOWN as the sites see it' : u.check === 'degraded' ? 'degraded as the sites see it' : '', u.hostUp ? '' : 'host silent'].filter(Boolean);
  return `${u.host || u.site}:${u.state}${u.role === 'active' ? ' (writer)' : ''}${notes.length ? ` ${notes.join(', ')}` : ''}${u.lastError ? ` (${oneLine(u.lastError)})` : ''}`;
}
