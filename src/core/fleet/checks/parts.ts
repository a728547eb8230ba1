/**
 * The fleet as the semantic checks see it: every entry that passed its schema, in its merged
 * position (entries that failed are `undefined`, so paths keep their indexes), plus the ids
 * of all entries, valid or not, so a broken entry does not also cause "unknown id" noise.
 */
import type { z } from 'zod';
import type { FleetPath, ProblemList } from '../problems.js';
import type {
  AlertingSpec,
  AppSpec,
  CustomerSpec,
  DefaultsSpec,
  FacilitySpec,
  HostSpec,
  ListKey,
  PoliciesSpec,
  ProviderSpec,
  RiskGroupSpec,
  SiteSpec,
  SiteTemplateSpec,
} from '../schema/fleet.js';
import { didYouMean } from '../suggest.js';

export interface Parts {
  data: Record<string, unknown>;
  policies: PoliciesSpec;
  siteTemplate?: SiteTemplateSpec;
  defaults?: DefaultsSpec;
  alerting?: AlertingSpec;
  providers: (ProviderSpec | undefined)[];
  facilities: (FacilitySpec | undefined)[];
  sites: (SiteSpec | undefined)[];
  riskGroups: (RiskGroupSpec | undefined)[];
  hosts: (HostSpec | undefined)[];
  customers: (CustomerSpec | undefined)[];
  apps: (AppSpec | undefined)[];
  /** Ids written in each list, including those of entries that failed their schema. */
  ids: Record<ListKey, Set<string>>;
}

/** Calls `fn` for every valid entry with its merged index. */
export function each<T>(list: readonly (T | undefined)[], fn: (entry: T, index: number) => void): void {
  list.forEach((entry, index) => {
    if (entry !== undefined) fn(entry, index);
  });
}

/** Index of the first valid entry with the given id. */
export function indexById<T extends { id: string }>(list: readonly (T | undefined)[]): Map<string, { entry: T; index: number }> {
  const map = new Map<string, { entry: T; index: number }>();
  each(list, (entry, index) => {
    if (!map.has(entry.id)) map.set(entry.id, { entry, index });
  });
  return map;
}

const NOUN: Record<ListKey, string> = {
  providers: 'provider',
  facilities: 'facility',
  sites: 'site',
  riskGroups: 'risk group',
  hosts: 'host',
  customers: 'customer',
  apps: 'app',
};

/** Reports a reference to an id that no entry of `list` declares. */
export function checkRef(parts: Parts, out: ProblemList, path: FleetPath, id: string | undefined, list: ListKey): void {
  if (id === undefined || parts.ids[list].has(id)) return;
  const declared = parts.ids[list];
  const tail = declared.size === 0 ? `; no ${list} are declared` : didYouMean(id, declared);
  out.error('HAFEN_FLEET_UNKNOWN_REF', path, `${NOUN[list]} "${id}" is not declared in ${list}${tail}`);
}

export type ElementSchemas = Record<ListKey, z.ZodType>;
