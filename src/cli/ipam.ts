/** `hafen ipam FLEET`: segment prefixes and host addresses, kept stable by the allocation record. */
import type { Command } from 'commander';
import { parsePrefix } from '../core/ipam/ipv4.js';
import { ipamReport, type IpamReport } from '../core/ipam/report.js';
import { serializeRecord } from '../core/ipam/record.js';
import { writeFileAtomic } from '../lib/fs.js';
import { EXIT, json, parseFormat, type CliIo, type OutputFormat } from './io.js';
import { loadFleet } from './load.js';
import { countLine, problemsText } from './problems-output.js';

interface IpamOptions {
  allocations?: string;
  format: OutputFormat;
  frozen?: boolean;
  dryRun?: boolean;
  hosts?: boolean;
}

export function registerIpam(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command('ipam')
    .description('Carve every site into the template segments, address every host, and keep the allocation record up to date.')
    .argument('<fleet>', 'fleet YAML file, or a directory whose .yaml files are merged (directories holding a compose file are compose projects, not read)')
    .option('--allocations <file>', 'allocation record to read and write (default: ipam.lock in a fleet directory, NAME.ipam.lock beside a fleet file)')
    .option('--frozen', 'fail (exit 1) instead of writing when the record is missing or out of date, as in CI')
    .option('--dry-run', 'show what would change, write nothing')
    .option('--hosts', 'list every host address in the text output')
    .option('--format <format>', 'output format: text or json', parseFormat, 'text' as OutputFormat)
    .addHelpText(
      'after',
      `
Addresses already in the record are never renumbered: adding, removing or reordering hosts
or sites only adds or frees entries. Keep the record with the fleet (commit it).

JSON output: {"ok", "sites": [{"site", "prefixes", "addresses", "unallocated", "segments": [{"segment",
"role", "prefix", "size", "reserved", "usable", "used", "free"}]}], "hosts": [{"host", "site",
"segment", "address", "source"}], "warnings", "record": {"path", "added", "removed", "changed", "written"}}`,
    )
    .action(async (fleetPath: string, opts: IpamOptions) => {
      const { result, allocationsPath } = await loadFleet(fleetPath, opts.allocations);
      if (!result.ok || !result.fleet || !result.ipam) {
        if (opts.format === 'json') io.stdout(json({ ok: false, problems: result.problems }));
        else io.stderr(`${problemsText(result.problems)}${fleetPath}: ${countLine(result.problems)}; no addresses written\n`);
        setExit(EXIT.invalid);
        return;
      }
      const { ipam, fleet } = result;
      const sites = fleet.sites.filter((s) => !s.witness).map((s) => ({ id: s.id, prefixes: s.prefixes.map((p) => parsePrefix(p)).flatMap((r) => (r.ok ? [r.prefix] : [])) }));
      const report = ipamReport(ipam, sites);
      const { added, removed, changed } = ipam.changes;
      const outdated = added.length + removed.length + changed.length > 0;
      let written = false;
      if (outdated && opts.frozen) {
        const msg = `allocation record ${allocationsPath} is out of date (${added.length} to add, ${removed.length} to remove, ${changed.length} to change); run hafen ipam without --frozen and commit it`;
        if (opts.format === 'json') io.stdout(json({ ok: false, problems: [{ severity: 'error', code: 'HAFEN_IPAM_RECORD_OUTDATED', path: '', file: allocationsPath, message: msg }] }));
        else io.stderr(`error: ${msg} [HAFEN_IPAM_RECORD_OUTDATED]\n`);
        setExit(EXIT.invalid);
        return;
      }
      if (outdated && !opts.dryRun) {
        await writeFileAtomic(allocationsPath, serializeRecord(ipam.record));
        written = true;
      }
      const record = { path: allocationsPath, added, removed, changed, written };
      if (opts.format === 'json') {
        io.stdout(json({ ok: true, ...report, record }));
      } else {
        io.stdout(reportText(report, record, opts.hosts ?? false, opts.dryRun ?? false));
      }
      setExit(EXIT.ok);
    });
}

function pad(s: string | number, n: number, right = false): string {
  const t = String(s);
  return right ? t.padStart(n) : t.padEnd(n);
}

function reportText(
  report: IpamReport,
  record: { path: string; added: string[]; removed: string[]; changed: string[]; written: boolean },
  listHosts: boolean,
  dryRun: boolean,
): string {
  const lines: string[] = [];
  for (const site of report.sites) {
    lines.push(`site ${site.site}  ${site.prefixes.join(', ')}  (${site.addresses} addresses, ${site.unallocated} not in any segment)`);
    lines.push(`  ${pad('segment', 12)}${pad('role', 12)}${pad('prefix', 20)}${pad('usable', 7, true)}${pad('used', 6, true)}${pad('free', 6, true)}${pad('use', 6, true)}`);
    for (const s of site.segments) {
      const use = s.usable ? `${Math.round((100 * s.used) / s.usable)}%` : '-';
      lines.push(`  ${pad(s.segment, 12)}${pad(s.role, 12)}${pad(s.prefix, 20)}${pad(s.usable, 7, true)}${pad(s.used, 6, true)}${pad(s.free, 6, true)}${pad(use, 6, true)}`);
    }
    if (listHosts) {
      for (const h of report.hosts.filter((x) => x.site === site.site)) {
        lines.push(`    ${pad(h.address, 16)}${pad(h.host, 24)}${pad(h.segment, 12)}${h.source}`);
      }
    }
    lines.push('');
  }
  const bySource = (src: string) => report.hosts.filter((h) => h.source === src).length;
  lines.push(`hosts: ${report.hosts.length} addressed (${bySource('record')} kept from the record, ${bySource('new')} new, ${bySource('fixed')} fixed)`);
  for (const w of report.warnings) lines.push(`warning: ${w}`);
  const delta = `${record.added.length} added, ${record.removed.length} removed, ${record.changed.length} changed`;
  const state = record.written ? 'written' : dryRun && delta !== '0 added, 0 removed, 0 changed' ? 'not written (--dry-run)' : 'up to date';
  lines.push(`record ${record.path}: ${delta}; ${state}`);
  for (const c of record.changed) lines.push(`  changed: ${c} (its recorded address was no longer valid)`);
  return `${lines.join('\n')}\n`;
}
