/**
 * `hafen site report FLEET SITE`: a site's blueprint (prefixes, segments, hosts with
 * addresses, proxies, who may talk to whom); `hafen site firewall FLEET HOST`: the nftables
 * ruleset hafen renders for a host. Both from the fleet files, with replicas placed as
 * `hafen plan` places them on an empty fleet.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { schedule } from '../core/placement/schedule.js';
import { hostFirewall, nftScript } from '../core/render/nftables.js';
import { siteReport, siteReportText } from '../core/render/site-report.js';
import { EXIT, json, parseFormat, type CliIo, type OutputFormat } from './io.js';
import { loadFleet } from './load.js';
import { countLine, problemsText } from './problems-output.js';

type SiteFormat = OutputFormat | 'nft';

function parseSiteFormat(v: string): SiteFormat {
  if (v !== 'nft' && v !== 'text' && v !== 'json') throw new InvalidArgumentError(`--format must be "nft", "text" or "json", not "${v}"`);
  return v;
}

async function load(fleetPath: string, allocations: string | undefined, io: CliIo) {
  const { result } = await loadFleet(fleetPath, allocations);
  if (!result.ok || !result.fleet || !result.ipam) {
    io.stderr(`${problemsText(result.problems)}${fleetPath}: ${countLine(result.problems)}\n`);
    return undefined;
  }
  return { fleet: result.fleet, ipam: result.ipam, placements: schedule(result.fleet).placements };
}

export function registerSite(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const site = program.command('site').description("A site's blueprint: its segments, hosts and addresses, proxies and firewall, as rendered from the fleet.");
  site
    .command('report')
    .description("A site's prefixes, segments (used and free addresses), hosts with their addresses, units and firewall rule counts, proxies, and the flows its firewalls allow.")
    .argument('<fleet>', 'fleet YAML file, or a directory whose .yaml files are merged')
    .argument('<site>', 'site id, e.g. vie')
    .option('--allocations <file>', 'allocation record (default: ipam.lock in a fleet directory, NAME.ipam.lock beside a fleet file)')
    .option('--format <format>', 'output format: text or json', parseFormat, 'text' as OutputFormat)
    .action(async (fleetPath: string, id: string, opts: { allocations?: string; format: OutputFormat }) => {
      const loaded = await load(fleetPath, opts.allocations, io);
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
    .argument('<fleet>', 'fleet YAML file, or a directory whose .yaml files are merged')
    .argument('<host>', 'host id')
    .option('--allocations <file>', 'allocation record (default: ipam.lock in a fleet directory, NAME.ipam.lock beside a fleet file)')
    .option('--format <format>', 'output format: nft (the default), text or json', parseSiteFormat, 'nft' as SiteFormat)
    .action(async (fleetPath: string, host: string, opts: { allocations?: string; format: SiteFormat }) => {
      const loaded = await load(fleetPath, opts.allocations, io);
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
}
