/**
 * `hafen site report FLEET SITE`: a site's blueprint (prefixes, segments, hosts with
 * addresses, proxies, who may talk to whom); `hafen site firewall FLEET HOST`: the nftables
 * ruleset hafen renders for a host. Both from the fleet files, with replicas placed as
 * `hafen plan` places them on an empty fleet. `hafen site diff BEFORE AFTER`: what changes
 * host by host from one version of the fleet to the next (AFTER planned against BEFORE).
 */
import { InvalidArgumentError, type Command } from 'commander';
import { validateFleet } from '../core/fleet/validate.js';
import { blueprintDiff, type BlueprintDiff } from '../core/plan/blueprint.js';
import { schedule } from '../core/placement/schedule.js';
import { hostFirewall, nftScript } from '../core/render/nftables.js';
import { siteReport, siteReportText } from '../core/render/site-report.js';
import { EXIT, json, parseFormat, type CliIo, type OutputFormat } from './io.js';
import { readComposeProjects } from './compose-projects.js';
import { readFleetFiles } from './fleet-files.js';
import { countLine, problemsText } from './problems-output.js';
import { registerSiteRender } from './site-render.js';
import { loadBlueprint } from './blueprint-load.js';

type SiteFormat = OutputFormat | 'nft';

function parseSiteFormat(v: string): SiteFormat {
  if (v !== 'nft' && v !== 'text' && v !== 'json') throw new InvalidArgumentError(`--format must be "nft", "text" or "json", not "${v}"`);
  return v;
}

export function registerSite(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const site = program.command('site').description("A site's blueprint: its segments, hosts and addresses, proxies and firewall, as rendered from the fleet.");
  site
    .command('report')
    .description("A site's prefixes, segments (used and free addresses), hosts with their addresses, units and firewall rule counts, proxies, and the flows its firewalls allow.")
    .argument('<fleet>', 'fleet YAML file, or a directory whose .yaml files are merged (directories holding a compose file are compose projects, not read)')
    .argument('<site>', 'site id, e.g. vie')
    .option('--allocations <file>', 'allocation record (default: ipam.lock in a fleet directory, NAME.ipam.lock beside a fleet file)')
    .option('--format <format>', 'output format: text or json', parseFormat, 'text' as OutputFormat)
    .action(async (fleetPath: string, id: string, opts: { allocations?: string; format: OutputFormat }) => {
      const loaded = await loadBlueprint(fleetPath, opts.allocations, io);
      if (!loaded) return setExit(EXIT.invalid);
      const report = siteReport(loaded.fleet, loaded.ipam, loaded.placements, id);
      if (!report) {
        io.stderr(`error: site "${id}" is not in the fleet (sites: ${loaded.fleet.sites.map((s) => s.id).join(', ')})\n`);
        return setExit(EXIT.invalid);
      }
      io.stdout(opts.format === 'json' ? json(report) : siteReportText(report));
      setExit(EXIT.ok);
    });
  site
    .command('firewall')
    .description("The nftables ruleset of a host (table inet hafen): named sets of the segments' and sites' prefixes and the flows that may reach it; everything else is dropped. --format nft prints the script for nft -f (it replaces only hafen's table, atomically).")
    .argument('<fleet>', 'fleet YAML file, or a directory whose .yaml files are merged (directories holding a compose file are compose projects, not read)')
    .argument('<host>', 'host id')
    .option('--allocations <file>', 'allocation record (default: ipam.lock in a fleet directory, NAME.ipam.lock beside a fleet file)')
    .option('--format <format>', 'output format: nft (the default), text or json', parseSiteFormat, 'nft' as SiteFormat)
    .action(async (fleetPath: string, host: string, opts: { allocations?: string; format: SiteFormat }) => {
      const loaded = await loadBlueprint(fleetPath, opts.allocations, io);
      if (!loaded) return setExit(EXIT.invalid);
      if (!loaded.fleet.hosts.some((h) => h.id === host)) {
        io.stderr(`error: host "${host}" is not in the fleet\n`);
        return setExit(EXIT.invalid);
      }
      const fw = hostFirewall(loaded.fleet, loaded.ipam, loaded.placements, host);
      if (!fw) {
        io.stderr(`error: host "${host}" has no address (see hafen ipam), so no firewall can be rendered for it\n`);
        return setExit(EXIT.invalid);
      }
      if (opts.format === 'json') io.stdout(json(fw));
      else if (opts.format === 'nft') io.stdout(nftScript(fw));
      else {
        const lines = [`${fw.host} (site ${fw.site}, segment ${fw.segment}, ${fw.address}): input dropped unless allowed below`];
        for (const r of fw.rules) lines.push(`  from ${r.fromLabel}${r.from ? ` (@${r.from})` : ''}: ${r.protocol}${r.ports ? ` ${r.ports.join(', ')}` : ''}   ${r.comment}   [${r.source}]`);
        io.stdout(`${lines.join('\n')}\n`);
      }
      setExit(EXIT.ok);
    });
  registerSiteDiff(site, io, setExit);
  registerSiteRender(site, loadBlueprint, io, setExit);
}

/** The diff as text: per site a summary, then each changed host with what changes. */
function diffText(d: BlueprintDiff, before: string, after: string): string {
  const lines = [`blueprint changes from ${before} to ${after} (${after} planned against ${before}: addresses and placements kept)`];
  for (const s of d.sites) lines.push(`  site ${s.site}: ${s.added} hosts added, ${s.removed} removed, ${s.changed} changed, ${s.unchangedHosts} unchanged`);
  for (const h of d.hosts) {
    const mark = h.change === 'added' ? '+' : h.change === 'removed' ? '-' : '~';
    const what: string[] = [];
    if (h.address) what.push(`address ${h.address.before ?? 'none'} → ${h.address.after ?? 'none'}`);
    const u = h.units;
    if (u.added.length + u.removed.length + u.changed.length) what.push(`units +${u.added.length} -${u.removed.length} ~${u.changed.length}`);
    if (h.firewall.added.length + h.firewall.removed.length) what.push(`firewall +${h.firewall.added.length} -${h.firewall.removed.length} lines`);
    lines.push('', `${mark} ${h.host} (${h.site}): ${what.join(', ') || 'nothing'}`);
    if (h.change === 'changed') {
      for (const name of u.added) lines.push(`    + unit ${name}`);
      for (const name of u.removed) lines.push(`    - unit ${name}`);
      for (const name of u.changed) lines.push(`    ~ unit ${name}`);
      for (const l of h.firewall.removed) lines.push(`    - ${l}`);
      for (const l of h.firewall.added) lines.push(`    + ${l}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

export function registerSiteDiff(site: Command, io: CliIo, setExit: (code: number) => void): void {
  site
    .command('diff')
    .description('What changes host by host from one version of the fleet to another: hosts added and removed, addresses, units, firewall lines. AFTER is planned against BEFORE as an apply would (BEFORE\'s allocation record and placements are kept), so adding a site shows its whole blueprint and, elsewhere, only what must follow. Exit 0 whatever changes.')
    .argument('<before>', 'the fleet as it is (file or directory; its ipam.lock is used)')
    .argument('<after>', 'the fleet as it will be')
    .option('--site <site>', 'only the hosts of this site')
    .option('--format <format>', 'output format: text or json', parseFormat, 'text' as OutputFormat)
    .action(async (beforePath: string, afterPath: string, opts: { site?: string; format: OutputFormat }) => {
      const before = await loadBlueprint(beforePath, undefined, io);
      if (!before) return setExit(EXIT.invalid);
      const files = await readFleetFiles(afterPath);
      const res = validateFleet(files.sources, { allocations: before.ipam.record, projects: await readComposeProjects(files.sources) });
      if (!res.ok || !res.fleet || !res.ipam) {
        io.stderr(`${problemsText(res.problems)}${afterPath}: ${countLine(res.problems)}\n`);
        return setExit(EXIT.invalid);
      }
      if (opts.site && !res.fleet.sites.some((s) => s.id === opts.site) && !before.fleet.sites.some((s) => s.id === opts.site)) {
        io.stderr(`error: site "${opts.site}" is in neither fleet\n`);
        return setExit(EXIT.invalid);
      }
      const after = { fleet: res.fleet, ipam: res.ipam, placements: schedule(res.fleet, { previous: before.placements }).placements };
      const diff = blueprintDiff(before, after, opts.site);
      io.stdout(opts.format === 'json' ? json(diff) : diffText(diff, beforePath, afterPath));
      setExit(EXIT.ok);
    });
}
