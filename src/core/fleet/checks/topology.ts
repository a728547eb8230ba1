/** Sites against their facilities, and the site template's own consistency. */
import type { ProblemList } from '../problems.js';
import { didYouMean } from '../suggest.js';
import { hostSegment, witnessSites } from '../model.js';
import { each, indexById, type Parts } from './parts.js';
import type { SiteSpec } from '../schema/fleet.js';

export function checkSites(parts: Parts, out: ProblemList): void {
  const facilities = indexById(parts.facilities);
  each(parts.sites, (s, i) => {
    if (s.witness) checkWitness(parts, s, i, out);
    else if (s.prefixes.length === 0) out.error('HAFEN_FLEET_REQUIRED', ['sites', i], `site "${s.id}" needs at least one IPv4 prefix in "prefixes" (only a witness site has none)`);
    const f = facilities.get(s.facility)?.entry;
    if (f && f.country !== s.country) {
      out.error(
        'HAFEN_FLEET_COUNTRY_MISMATCH',
        ['sites', i, 'country'],
        `site "${s.id}" is in ${s.country} but its facility "${f.id}" is in ${f.country}`,
      );
    }
  });
  if (parts.siteTemplate === undefined && parts.sites.length > 0 && parts.data.siteTemplate === undefined) {
    out.error('HAFEN_FLEET_REQUIRED', [], 'the fleet declares sites but no siteTemplate (the segments every site gets)');
  }
}

/** A witness site: no prefixes, no backup repository; hosts only for its prober (role management, a fixed address). */
function checkWitness(parts: Parts, site: SiteSpec, i: number, out: ProblemList): void {
  if (site.prefixes.length > 0) out.error('HAFEN_FLEET_WITNESS', ['sites', i, 'prefixes'], `witness site "${site.id}" gets no segments, so it has no prefixes; give its hosts their public address instead`);
  if (site.backupRepository) out.error('HAFEN_FLEET_WITNESS', ['sites', i, 'backupRepository'], `witness site "${site.id}" keeps no backups`);
  let hosts = 0;
  each(parts.hosts, (h, j) => {
    if (h.site !== site.id) return;
    hosts++;
    if (h.role !== 'management') out.error('HAFEN_FLEET_WITNESS', ['hosts', j, 'role'], `host "${h.id}" is at witness site "${site.id}", which only probes: its role must be management, not ${h.role}`);
    if (h.address === undefined) out.error('HAFEN_FLEET_WITNESS', ['hosts', j], `host "${h.id}" is at witness site "${site.id}", which gets no segments: give it its fixed "address"`);
  });
  if (hosts === 0) out.warning('HAFEN_FLEET_WITNESS', ['sites', i], `witness site "${site.id}" has no host: nothing probes from it, so it counts in no quorum`);
}

export function checkTemplate(parts: Parts, out: ProblemList): void {
  const tpl = parts.siteTemplate;
  if (!tpl) return;
  const names = new Map<string, number>();
  tpl.segments.forEach((seg, i) => {
    const first = names.get(seg.name);
    if (first !== undefined) {
      out.error('HAFEN_FLEET_DUPLICATE_ID', ['siteTemplate', 'segments', i, 'name'], `segment "${seg.name}" is already declared at segments[${first}]`);
    } else {
      names.set(seg.name, i);
    }
    const usable = 2 ** (32 - seg.prefixLength) - 2;
    if (seg.reserved >= usable) {
      out.error(
        'HAFEN_FLEET_OUT_OF_RANGE',
        ['siteTemplate', 'segments', i, 'reserved'],
        `reserves ${seg.reserved} of the ${usable} usable addresses of a /${seg.prefixLength}, leaving none for hosts`,
      );
    }
  });
  const segmentNames = [...names.keys()];
  const witnesses = witnessSites(parts.sites);
  tpl.firewall.forEach((rule, i) => {
    if (rule.from !== 'internet' && !names.has(rule.from)) {
      out.error(
        'HAFEN_FLEET_UNKNOWN_REF',
        ['siteTemplate', 'firewall', i, 'from'],
        `"${rule.from}" is neither "internet" nor a segment of the template${didYouMean(rule.from, ['internet', ...segmentNames])}`,
      );
    }
    if (!names.has(rule.to)) {
      out.error(
        'HAFEN_FLEET_UNKNOWN_REF',
        ['siteTemplate', 'firewall', i, 'to'],
        `"${rule.to}" is not a segment of the template${didYouMean(rule.to, segmentNames)}`,
      );
    }
    rule.ports?.forEach((p, j) => {
      if (typeof p !== 'string') return;
      const [lo, hi] = p.split('-').map(Number) as [number, number];
      if (lo < 1 || hi > 65535 || lo > hi) {
        out.error('HAFEN_FLEET_OUT_OF_RANGE', ['siteTemplate', 'firewall', i, 'ports', j], `port range "${p}" must go upwards within 1-65535`);
      }
    });
    if (rule.protocol === 'icmp' && rule.ports !== undefined) {
      out.error('HAFEN_FLEET_INVALID', ['siteTemplate', 'firewall', i, 'ports'], 'icmp has no ports; remove "ports" from this rule');
    }
  });
  each(parts.hosts, (h, i) => {
    const seg = hostSegment(h, tpl.segments);
    if (seg === undefined) {
      // A witness site's hosts sit in no segment (the site gets none).
      if (witnesses.has(h.site)) return;
      out.error(
        'HAFEN_FLEET_REQUIRED',
        ['hosts', i],
        `host "${h.id}" has role ${h.role} but no segment, and the template has no segment for that role; set "segment"`,
      );
    } else if (!names.has(seg)) {
      out.error('HAFEN_FLEET_UNKNOWN_REF', ['hosts', i, 'segment'], `"${seg}" is not a segment of the site template${didYouMean(seg, segmentNames)}`);
    }
  });
}
