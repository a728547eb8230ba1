/** `hafen status`: per app, desired against running replicas; per host, its last heartbeat; per proxy, the replicas it can use. */
import type { Command } from 'commander';
import { EXIT, json, parseFormat, type CliIo, type OutputFormat } from './io.js';
import { remoteClient, remoteOptions, type RemoteOptions } from './remote.js';

export function registerStatus(program: Command, io: CliIo, setExit: (code: number) => void): void {
  remoteOptions(
    program
      .command('status')
      .description('What runs where: desired and running replicas per app, heartbeats per host, replica health as each edge proxy sees it.')
      .option('--site <site>', 'only this site')
      .option('--app <app>', 'only this app')
      .option('--format <format>', 'output format: text or json', parseFormat, 'text' as OutputFormat),
  ).action(async (opts: RemoteOptions & { site?: string; app?: string; format: OutputFormat }) => {
    const st = await remoteClient(opts).status();
    const apps = st.apps
      .filter((a) => !opts.app || a.app === opts.app)
      .map((a) => ({ ...a, units: a.units.filter((u) => !opts.site || u.site === opts.site) }))
      .filter((a) => !opts.site || a.units.length > 0);
    const hosts = st.hosts.filter((h) => !opts.site || h.site === opts.site);
    const proxies = st.proxies.filter((p) => !opts.site || p.site === opts.site);
    if (opts.format === 'json') {
      io.stdout(json({ revision: st.revision, apps, hosts, proxies }));
    } else {
      const lines = [`revision ${st.revision ?? 'none'}`];
      for (const a of apps) {
        const mark = a.running === a.desired ? 'ok' : 'DEGRADED';
        lines.push(`${a.app.padEnd(32)} ${`${a.running}/${a.desired}`.padEnd(6)} ${mark.padEnd(9)} ${a.units.map((u) => `${u.host}:${u.state}${u.healthy === false ? ' unhealthy' : u.healthy ? ' healthy' : ''}${u.lastError ? ` (${u.lastError})` : ''}`).join(', ')}`);
      }
      lines.push('');
      for (const h of hosts) lines.push(`host ${h.host.padEnd(24)} ${h.ageSeconds === null ? 'never reported' : `last heartbeat ${h.ageSeconds} s ago`}`);
      if (proxies.length > 0) lines.push('');
      for (const p of proxies) {
        // What each edge proxy sees: replicas it would not send traffic to are named.
        const out = p.replicas.filter((r) => !r.up || r.ejected).map((r) => `${r.id}@${r.site} ${r.ejected ? 'ejected' : 'down'}`);
        lines.push(`proxy ${p.host.padEnd(23)} site ${p.site}, routes revision ${p.revision}, ${p.replicas.length - out.length}/${p.replicas.length} replicas usable${out.length ? `: ${out.join(', ')}` : ''} (${p.ageSeconds} s ago)`);
      }
      io.stdout(`${lines.join('\n')}\n`);
    }
    const degraded = apps.some((a) => a.running < a.desired);
    setExit(degraded ? EXIT.invalid : EXIT.ok);
  });
}
