/**
 * Validation of a fleet: every problem at once, each with its file, path and line.
 *
 * Order: YAML syntax (nothing else is checked in a file that does not parse), then the
 * schema of each entry, then the checks across entries on every entry that passed its
 * schema, then IPAM (segment plans and addresses). The result carries the resolved fleet
 * and its IPAM plan only when there is no error.
 */
import type { z } from 'zod';
import type { AppProject, ProjectTree } from '../compose/project.js';
import { allocate, type IpamResult } from '../ipam/allocate.js';
import { ipamInput } from '../ipam/from-fleet.js';
import type { AllocationRecord } from '../ipam/record.js';
import { checkApps } from './checks/apps.js';
import { checkCompose } from './checks/compose.js';
import { indexById, type Parts } from './checks/parts.js';
import { checkPrefixes } from './checks/prefixes.js';
import { checkOneWriter } from './checks/state.js';
import { checkDuplicateIds, checkReferences } from './checks/references.js';
import { checkSites, checkTemplate } from './checks/topology.js';
import { checkWindows } from './checks/windows.js';
import { hostSegment, resolveApp, type Fleet } from './model.js';
import { ProblemList, sortProblems, type Problem } from './problems.js';
import { Alerting } from './schema/alerting.js';
import { Defaults } from './schema/defaults.js';
import { ELEMENT_SCHEMAS, FleetDocument, LIST_KEYS, type ListKey, type ParsedFleet } from './schema/fleet.js';
import { Policies } from './schema/policies.js';
import { SiteTemplate } from './schema/template.js';
import { loadData, loadSources, type FleetData, type FleetSource, type LoadedSources, type ParsedFile } from './source.js';
import { reportIssues } from './zod-issues.js';

export interface ValidateOptions {
  /** The IPAM allocation record to keep addresses stable against. */
  allocations?: AllocationRecord;
  /** Parsed files from earlier validations, reused while a file's text is unchanged. */
  parseCache?: Map<string, ParsedFile>;
  /** The compose project directories the fleet names, by key (`projectKey`), as read by the caller. */
  projects?: ReadonlyMap<string, ProjectTree>;
}

export interface ValidationResult {
  /** True when there is no problem of severity error. */
  ok: boolean;
  problems: Problem[];
  /** The fleet with defaults resolved; only when ok. */
  fleet?: Fleet;
  /** Segment and host addresses; only when ok. */
  ipam?: IpamResult;
}

/** Validates fleet files (already read) and returns every problem found. Pure. */
export function validateFleet(sources: readonly FleetSource[], options: ValidateOptions = {}): ValidationResult {
  return validateLoaded(loadSources(sources, options.parseCache), options);
}

/**
 * Validates fleet documents that are already data (JSON from the API, a generated fleet):
 * the same checks, without YAML parsing and so without line numbers.
 */
export function validateFleetData(documents: readonly FleetData[], options: ValidateOptions = {}): ValidationResult {
  return validateLoaded(loadData(documents), options);
}

function validateLoaded(loaded: LoadedSources, options: ValidateOptions): ValidationResult {
  if (loaded.syntaxError) return { ok: false, problems: sortProblems(loaded.problems) };
  const out = new ProblemList(loaded.locate, loaded.problems);

  const whole = FleetDocument.safeParse(loaded.data);
  const parts = whole.success ? partsOf(whole.data, loaded.data) : partsByEntry(loaded.data, out);

  checkDuplicateIds(parts, out);
  checkReferences(parts, out);
  checkSites(parts, out);
  checkTemplate(parts, out);
  checkWindows(parts, out);
  checkApps(parts, out);
  const projects = checkCompose(parts, out, options.projects);
  checkOneWriter(parts, out, projects);
  const prefixes = checkPrefixes(parts, out);

  let ipam: IpamResult | undefined;
  if (parts.siteTemplate) {
    const sites = parts.sites.filter((s) => s !== undefined);
    const hosts = parts.hosts.filter((h) => h !== undefined);
    ipam = allocate(ipamInput(sites, parts.siteTemplate.segments, hosts, prefixes), options.allocations);
    const siteIndex = indexById(parts.sites);
    const hostIndex = indexById(parts.hosts);
    for (const p of ipam.problems) {
      if (p.subject.kind === 'site') {
        out.error(p.code, ['sites', siteIndex.get(p.subject.id)?.index ?? 0, 'prefixes'], p.message);
      } else {
        const h = hostIndex.get(p.subject.id);
        const onAddress = p.code !== 'HAFEN_IPAM_EXHAUSTED' && h?.entry.address !== undefined;
        out.error(p.code, onAddress ? ['hosts', h!.index, 'address'] : ['hosts', h?.index ?? 0], `host "${p.subject.id}": ${p.message}`);
      }
    }
  }

  // A file-structure problem (say, a repeated siteTemplate) may leave the merged data valid.
  if (out.errorCount > 0 || !whole.success) return { ok: false, problems: out.list() };
  // Without a template there can be no sites (an error above) and so no hosts: nothing to carve.
  const template = parts.siteTemplate ?? { segments: [], firewall: [], egress: { policy: 'open' as const, allow: [] }, firewallConfirm: '60s', network: { manage: 'panel' as const, interface: 'eth0' } };
  const fleet = resolveFleet(whole.data, template, projects);
  if (fleet.sites.length + fleet.hosts.length + fleet.customers.length + fleet.apps.length === 0) {
    out.warning('HAFEN_FLEET_EMPTY', [], 'the fleet declares nothing: no sites, hosts, customers or apps; applied, it would stop every app on every host, so the controller refuses it');
  }
  return { ok: true, problems: out.list(), fleet, ipam: ipam ?? allocate({ sites: [], segments: [], hosts: [] }, options.allocations) };
}

function partsOf(parsed: ParsedFleet, data: Record<string, unknown>): Parts {
  const ids = Object.fromEntries(LIST_KEYS.map((k) => [k, new Set(parsed[k].map((e) => e.id))])) as Record<ListKey, Set<string>>;
  const parts: Parts = { ...parsed, data, ids };
  if (parsed.siteTemplate === undefined) delete parts.siteTemplate;
  if (parsed.defaults === undefined) delete parts.defaults;
  if (parsed.alerting === undefined) delete parts.alerting;
  return parts;
}

/** Parses each entry on its own, so one broken entry does not hide the problems of the rest. */
function partsByEntry(data: Record<string, unknown>, out: ProblemList): Parts {
  const ids = {} as Record<ListKey, Set<string>>;
  const lists = {} as Record<ListKey, unknown[]>;
  for (const key of LIST_KEYS) {
    const raw = Array.isArray(data[key]) ? (data[key] as unknown[]) : [];
    ids[key] = new Set(raw.flatMap((e) => (e && typeof e === 'object' && typeof (e as { id?: unknown }).id === 'string' ? [(e as { id: string }).id] : [])));
    lists[key] = raw.map((entry, index) => {
      const res = ELEMENT_SCHEMAS[key].safeParse(entry);
      if (res.success) return res.data;
      reportIssues(res.error.issues, ELEMENT_SCHEMAS[key], entry, [key, index], out);
      return undefined;
    });
  }
  const single = <S extends z.ZodType>(key: string, schema: S, fallback: unknown): z.output<S> | undefined => {
    const raw = data[key] === undefined ? fallback : data[key];
    if (raw === undefined) return undefined;
    const res = schema.safeParse(raw);
    if (res.success) return res.data;
    reportIssues(res.error.issues, schema, raw, [key], out);
    return undefined;
  };
  const version = data.version;
  if (version !== undefined && version !== 1) out.error('HAFEN_FLEET_INVALID_VALUE', ['version'], `version ${JSON.stringify(version)} is not supported; this hafen reads version 1`);
  const parts: Parts = {
    data,
    policies: single('policies', Policies, {}) ?? Policies.parse({}),
    ...(lists as unknown as Pick<Parts, ListKey>),
    ids,
  };
  const tpl = single('siteTemplate', SiteTemplate, undefined);
  if (tpl) parts.siteTemplate = tpl;
  const defaults = single('defaults', Defaults, undefined);
  if (defaults) parts.defaults = defaults;
  const alerting = single('alerting', Alerting, undefined);
  if (alerting) parts.alerting = alerting;
  return parts;
}

function resolveFleet(parsed: ParsedFleet, template: NonNullable<ParsedFleet['siteTemplate']>, projects: ReadonlyMap<string, AppProject>): Fleet {
  const customers = new Map(parsed.customers.map((c) => [c.id, c]));
  return {
    version: 1,
    policies: parsed.policies,
    siteTemplate: template,
    providers: parsed.providers,
    facilities: parsed.facilities,
    sites: parsed.sites,
    riskGroups: parsed.riskGroups,
    hosts: parsed.hosts.map((h) => ({ ...h, segment: hostSegment(h, template.segments)! })),
    customers: parsed.customers,
    alerting: parsed.alerting ?? Alerting.parse({}),
    apps: parsed.apps.map((a) => resolveApp(a, customers.get(a.customer), parsed.defaults, projects.get(a.id))),
  };
}

