/**
 * The Compose Specification's own JSON Schema (core/fleet/compose-spec/, kept as published) as
 * a validator: of one entry of a section (inline services in the fleet) or of a whole compose
 * file (a project directory), with its errors in words, one per place.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import spec from '../fleet/compose-spec/compose-spec.json' with { type: 'json' };
import type { FleetPath } from '../fleet/problems.js';

/** The parts of a compose file hafen takes, and the specification's definition of each entry. */
export const DEFINITIONS = { services: 'service', volumes: 'volume', networks: 'network', secrets: 'secret', configs: 'config' } as const;
export type Section = keyof typeof DEFINITIONS;

let ajv: Ajv | undefined;
const compiled = new Map<Section | 'file', ValidateFunction>();

/**
 * The specification's validator of one entry of a section, compiled on first use: about 150 ms
 * for a service, unoptimised (the generated code's optimisation would double that, for a check
 * that runs once per entry per validation).
 */
export function validatorOf(section: Section | 'file'): ValidateFunction {
  let v = compiled.get(section);
  if (!v) {
    // strict: false — the specification uses annotations ajv does not know ("deprecated");
    // validateSchema: false — it names its meta-schema by an https address ajv does not hold.
    if (!ajv) {
      ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false, code: { optimize: false } });
      ajv.addSchema(spec);
    }
    v = ajv.compile({ $ref: section === 'file' ? (spec as { $id: string }).$id : `${(spec as { $id: string }).$id}#/definitions/${DEFINITIONS[section]}` });
    compiled.set(section, v);
  }
  return v;
}

export const SERVICE_KEYS = Object.keys((spec as { definitions: { service: { properties: Record<string, unknown> } } }).definitions.service.properties);

/** A JSON Pointer ("/ports/0") as a path below `base`; numbers for array indexes. */
export function pathOf(base: FleetPath, pointer: string): FleetPath {
  const segments = pointer === '' ? [] : pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  return [...base, ...segments.map((s) => (/^\d+$/.test(s) ? Number(s) : s))];
}

/**
 * The errors worth showing, one per place: an unknown key as such; where a `oneOf` tried
 * alternatives (a list or a mapping, a string or an object) that each wanted another type,
 * one error naming every type. A place whose deeper places have errors is explained by those.
 */
export function relevant(errors: readonly ErrorObject[]): ErrorObject[] {
  const byPlace = new Map<string, ErrorObject[]>();
  for (const e of errors) {
    const place = e.keyword === 'additionalProperties' ? `${e.instancePath}/${(e.params as { additionalProperty: string }).additionalProperty}` : e.instancePath;
    byPlace.set(place, [...(byPlace.get(place) ?? []), e]);
  }
  const places = [...byPlace.keys()];
  const out: ErrorObject[] = [];
  for (const [place, list] of byPlace) {
    const unknown = list.find((e) => e.keyword === 'additionalProperties');
    if (unknown) {
      out.push(unknown);
      continue;
    }
    if (places.some((p) => p !== place && p.startsWith(`${place}/`))) continue;
    const own = list.filter((e) => e.keyword !== 'oneOf' && e.keyword !== 'anyOf');
    const types = own.filter((e) => e.keyword === 'type').flatMap((e) => String((e.params as { type: string | string[] }).type).split(','));
    const first = own[0] ?? list[0]!;
    out.push(own.length > 0 && own.every((e) => e.keyword === 'type') ? { ...first, params: { type: [...new Set(types)].join(',') } } : first);
  }
  return out;
}

/** What an error says, in words: "must be an integer or a string". */
export function message(e: ErrorObject): string {
  if (e.keyword === 'type') {
    const types = String((e.params as { type: string | string[] }).type).split(',');
    return `must be ${types.map((t) => (t === 'integer' ? 'an integer' : t === 'object' ? 'a mapping' : t === 'array' ? 'a list' : t === 'null' ? 'empty' : `a ${t}`)).join(' or ')}`;
  }
  return e.message ?? 'invalid';
}

/** The keys a compose file may have at its top level. */
export const FILE_KEYS = Object.keys((spec as { properties: Record<string, unknown> }).properties);
