/**
 * `hafen site network FLEET HOST|SITE`: each host's interface configuration (a systemd-networkd
 * or ifupdown snippet, or what to enter in the provider's panel); `hafen site proxies FLEET
 * SITE`: where the site's edge proxies listen, their systemd units, and the routes they serve.
 */
import { witnessSites } from '../core/fleet/model.js';
import { InvalidArgumentError, type Command } from 'commander';
import { hostNetwork, networkConfigText, type HostNetworkConfig } from '../core/render/network.js';
import { proxyUnit, siteProxies, siteProxiesText } from '../core/render/site-proxies.js';
import { EXIT, json, parseFormat, type CliIo, type OutputFormat } from './io.js';
import { DEFAULT_CONTROLLER } from './remote.js';
import { refusePlainHttpUrls } from '../lib/plain-http.js';
import type { loadBlueprint } from './blueprint-load.js';

type Loader = typeof loadBlueprint;
type NetworkFormat = 'config' | 'json';
type ProxiesFormat = OutputFormat | 'systemd';

const ALLOCATIONS_HELP = 'allocation record (default: ipam.lock in a fleet directory, NAME.ipam.lock beside a fleet file)';

export function registerSiteRender(site: Command, load: Loader, io: CliIo, setExit: (code: number) => void): void {
  site
    .command('network')
    .description("A host's interface configuration, or every host's of a site: its address and prefix length and the segment's gateway, as the host's network.manage says: a systemd-networkd snippet (/etc/systemd/network/10-hafen.network), an ifupdown snippet (/etc/network/interfaces.d/hafen), or, by default, the values to enter in the provider's panel.")
    .argument('<fleet>', 'fleet YAML file, or a directory whose .yaml files are merged (directories holding a compose file are compose projects, not read)')
    .argument('<target>', 'host id, or site id for every host of the site')
    .option('--allocations <file>', ALLOCATIONS_HELP)
    .option('--format <format>', 'config (the default: as network.manage says) or json', (v: string): NetworkFormat => {
      if (v !== 'config' && v !== 'json') throw new InvalidArgumentError(`--format must be "config" or "json", not "${v}"`);
      return v;
    }, 'config' as NetworkFormat)
    .action(async (fleetPath: string, target: string, opts: { allocations?: string; format: NetworkFormat }) => {
      const loaded = await load(fleetPath, opts.allocations, io);
      if (!loaded) return setExit(EXIT.invalid);
      const isSite = loaded.fleet.sites.some((s) => s.id === target);
      const hosts = isSite ? loaded.fleet.hosts.filter((h) => h.site === target).map((h) => h.id) : loaded.fleet.hosts.some((h) => h.id === target) ? [target] : [];
      if (hosts.length === 0) {
        io.stderr(`error: "${target}" is neither a host nor a site with hosts in the fleet (sites: ${loaded.fleet.sites.map((s) => s.id).join(', ')})\n`);
        return setExit(EXIT.invalid);
      }
      // A witness site's hosts sit in their provider's network with the address the fleet gives them: nothing to render.
      const witnesses = witnessSites(loaded.fleet.sites);
      const witnessHosts = hosts.filter((h) => witnesses.has(loaded.fleet.hosts.find((x) => x.id === h)!.site));
      if (witnessHosts.length === hosts.length) {
        io.stderr(`error: ${isSite ? `"${target}" is a witness site; its hosts get` : `host "${target}" is at a witness site and gets`} no segment: configure the provider's address (fleet hosts[].address) as the provider says\n`);
        return setExit(EXIT.invalid);
      }
      const configs = hosts.map((h) => hostNetwork(loaded.fleet, loaded.ipam, h)).filter((c): c is HostNetworkConfig => c !== undefined);
      const missing = hosts.filter((h) => !configs.some((c) => c.host === h));
      if (opts.format === 'json') io.stdout(json(isSite ? configs : configs[0] ?? null));
      else io.stdout(configs.map(networkConfigText).join(isSite ? '\n' : ''));
      for (const h of missing) io.stderr(`error: host "${h}" has no address (see hafen ipam)\n`);
      setExit(missing.length > 0 ? EXIT.invalid : EXIT.ok);
    });
  site
    .command('proxies')
    .description("The site's edge proxies: where each listens (port 80 and 443 as the template lets the internet reach their segment), the routes they serve (each domain's replicas, the site's own first), and with --format systemd a unit per proxy that runs hafen proxy.")
    .argument('<fleet>', 'fleet YAML file, or a directory whose .yaml files are merged (directories holding a compose file are compose projects, not read)')
    .argument('<site>', 'site id')
    .option('--allocations <file>', ALLOCATIONS_HELP)
    .option('--controller-url <urls>', 'the controller the proxies follow (in the systemd units): https://HOST:7400, several comma-separated', DEFAULT_CONTROLLER)
    .option('--ca <file>', 'in the systemd units: the CA file (on the proxy hosts) that the controller\'s certificate chains to, when not in their system\'s CA store')
    .option('--allow-plain-http', 'in the systemd units: the proxies follow a plain http:// controller on another machine (a network you trust only)')
    .option('--format <format>', 'text, json or systemd', (v: string): ProxiesFormat => (v === 'systemd' ? v : parseFormat(v)), 'text' as ProxiesFormat)
    .action(async (fleetPath: string, id: string, opts: { allocations?: string; controllerUrl: string; ca?: string; allowPlainHttp?: boolean; format: ProxiesFormat }) => {
      if (opts.format === 'systemd') {
        // The units would fail at start; say so now.
        try {
          refusePlainHttpUrls(opts.controllerUrl.split(',').map((u) => u.trim()).filter(Boolean), '--controller-url', opts.allowPlainHttp === true);
        } catch (err) {
          io.stderr(`error: ${(err as Error).message}\n`);
          return setExit(EXIT.invalid);
        }
      }
      const loaded = await load(fleetPath, opts.allocations, io);
      if (!loaded) return setExit(EXIT.invalid);
      if (loaded.fleet.sites.some((s) => s.id === id && s.witness)) {
        io.stderr(`error: "${id}" is a witness site: it runs no edge proxies (it only probes)\n`);
        return setExit(EXIT.invalid);
      }
      const proxies = siteProxies(loaded.fleet, loaded.ipam, loaded.placements, id);
      if (!proxies) {
        io.stderr(`error: site "${id}" is not in the fleet (sites: ${loaded.fleet.sites.map((s) => s.id).join(', ')})\n`);
        return setExit(EXIT.invalid);
      }
      if (opts.format === 'json') io.stdout(json(proxies));
      else if (opts.format === 'systemd') io.stdout(proxies.proxies.map((p) => proxyUnit(p, id, { url: opts.controllerUrl, ...(opts.ca ? { ca: opts.ca } : {}), ...(opts.allowPlainHttp ? { allowPlainHttp: true } : {}) })).join('\n'));
      else io.stdout(siteProxiesText(proxies));
      setExit(EXIT.ok);
    });
}
