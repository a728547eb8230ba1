/**
 * Writes a fleet as YAML text: one file, or a directory with the shared settings in
 * fleet.yaml, each site with its hosts in sites/, and each customer with its apps in customers/.
 */
import { stringify } from 'yaml';
import type { FleetInput } from '../fleet/schema/fleet.js';

export interface FleetFile {
  /** Path relative to the output (file name or directory). */
  path: string;
  text: string;
}

/** The comment lines on top of a file; `depth` is how many directories below the output it is. */
export type Header = (depth: number) => string;

function yamlText(header: string, value: unknown): string {
  // No anchors: a shared list (data residency) is written out at every use, as a person would.
  return `${header}${stringify(value, { lineWidth: 0, aliasDuplicateObjects: false })}`;
}

export function singleFile(fleet: FleetInput, header: Header): string {
  return yamlText(header(0), fleet);
}

export function splitFiles(fleet: FleetInput, header: Header): FleetFile[] {
  const { hosts = [], customers = [], apps = [], sites = [], ...shared } = fleet;
  const files: FleetFile[] = [{ path: 'fleet.yaml', text: yamlText(header(0), shared) }];
  for (const site of sites) {
    files.push({ path: `sites/${site.id}.yaml`, text: yamlText(header(1), { sites: [site], hosts: hosts.filter((h) => h.site === site.id) }) });
  }
  for (const customer of customers) {
    const mine = apps.filter((a) => a.customer === customer.id);
    files.push({ path: `customers/${customer.id}.yaml`, text: yamlText(header(1), mine.length ? { customers: [customer], apps: mine } : { customers: [customer] }) });
  }
  return files;
}
