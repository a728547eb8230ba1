/**
 * A compose app's services, volumes, networks, secrets and configs against the Compose
 * Specification's own JSON Schema (compose-spec/, kept as published): a typo (`enviroment:`)
 * or a value of the wrong shape is reported at the file, line and path the user wrote, with
 * the nearest key the specification has. hafen's schema only requires an image or a build;
 * everything else about a service is Compose's to say. Variables (`${VAR}`) must be defined by
 * the app's env: never a silent empty string.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import spec from '../compose-spec/compose-spec.json' with { type: 'json' };
import { checkInterpolation, stringsIn } from '../interpolation.js';
import type { FleetPath, ProblemList } from '../problems.js';
import { didYouMean } from '../suggest.js';
import { each, type Parts } from './parts.js';

/** At most this many problems per app: one mistake in a shared anchor should not bury the rest. */
const MAX_PER_APP = 10;

/** The parts of a compose file hafen takes, and the specification's definition of each entry. */
const DEFINITIONS = { services: 'service', volumes: 'volume', networks: 'network', secrets: 'secret', configs: 'config' } as const;
type Section = keyof typeof DEFINITIONS;

let ajv: Ajv | undefined;
const compiled = new Map<Section, ValidateFunction>();

/**
 * The specification's validator of one entry of a section, compiled on first use: about 150 ms
 * for a service, unoptimised (the generated code's optimisation would double that, for a check
 * that runs once per entry per validation).
 */
function validatorOf(section: Section): ValidateFunction {
  let v = compiled.get(section);
  if (!v) {
    // strict: false — the specification uses annotations ajv does not know ("deprecated");
    // validateSchema: false — it names its meta-schema by an https address ajv does not hold.
    if (!ajv) {
      ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false, code: { optimize: false } });
      ajv.addSchema(spec);
    }
    v = ajv.compile({ $ref: `${(spec as { $id: string }).$id}#/definitions/${DEFINITIONS[section]}` });
    compiled.set(section, v);
  }
  return v;
}

const SERVICE_KEYS = Object.keys((spec as { definitions: { service: { properties: Record<string, unknown> } } }).definitions.service.properties);

/** A JSON Pointer ("/ports/0") as a path below `base`; numbers for array indexes. */
function pathOf(base: FleetPath, pointer: string): FleetPath {
  const segments = pointer === '' ? [] : pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  return [...base, ...segments.map((s) => (/^\d+$/.test(s) ? Number(s) : s))];
}

/**
 * The errors worth showing, one per place: an unknown key as such; where a `oneOf` tried
 * alternatives (a list or a mapping, a string or an object) that each wanted another type,
 * one error naming every type. A place whose deeper places have errors is explained by those.
 */
function relevant(errors: readonly ErrorObject[]): ErrorObject[] {
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
function message(e: ErrorObject): string {
  if (e.keyword === 'type') {
    const types = String((e.params as { type: string | string[] }).type).split(',');
    return `must be ${types.map((t) => (t === 'integer' ? 'an integer' : t === 'object' ? 'a mapping' : t === 'array' ? 'a list' : t === 'null' ? 'empty' : `a ${t}`)).join(' or ')}`;
  }
  return e.message ?? 'invalid';
}

export function checkCompose(parts: Parts, out: ProblemList): void {
  each(parts.apps, (app, i) => {
    const compose = app.workload.compose;
    if (!compose) return;
    let reported = 0;
    const report = (): boolean => reported++ < MAX_PER_APP;
    // Compose interpolates the whole project with the app's env (values and secrets), nothing else.
    const defined = new Set(Object.keys(app.env ?? {}));
    for (const section of Object.keys(DEFINITIONS) as Section[]) {
      for (const [name, entry] of Object.entries(compose[section] ?? {})) {
        const base: FleetPath = ['apps', i, 'workload', 'compose', section, name];
        const what = `compose ${DEFINITIONS[section]} "${name}"`;
        for (const { path, text } of stringsIn(entry)) {
          const r = checkInterpolation(text, defined);
          if (r.ok || !report()) continue;
          if ('invalid' in r) {
            out.error('HAFEN_FLEET_COMPOSE_INVALID', [...base, ...path], `${what}: ${r.invalid}`);
            continue;
          }
          const names = r.undefined.map((v) => `\${${v.name}}${v.message ? ` (${v.message})` : ''}`).join(', ');
          out.error(
            'HAFEN_FLEET_UNDEFINED_VARIABLE',
            [...base, ...path],
            `${what} uses ${names}, which the app does not define: add ${r.undefined.length === 1 ? 'it' : 'them'} to the app's env (a value, or {secret: NAME}), give a default ("\${NAME:-default}"), or write "$$" for a dollar sign`,
          );
        }
        // Files next to a compose file are not shipped to the hosts yet: the entry would point at nothing.
        if ((section === 'secrets' || section === 'configs') && entry !== null && typeof entry === 'object' && 'file' in entry && report()) {
          out.error('HAFEN_FLEET_UNSUPPORTED', [...base, 'file'], `${what}: files are not shipped to the hosts yet; use "environment:"${section === 'configs' ? ', "content:"' : ''} or "external: true"`);
        }
        // An empty entry ("backend:") is Compose's way of saying "with the defaults".
        if (entry === null) continue;
        const validate = validatorOf(section);
        if (validate(entry)) continue;
        for (const e of relevant(validate.errors ?? [])) {
          if (!report()) break;
          if (e.keyword === 'additionalProperties') {
            const key = (e.params as { additionalProperty: string }).additionalProperty;
            const hint = e.instancePath === '' && section === 'services' ? didYouMean(key, SERVICE_KEYS) : '';
            out.error('HAFEN_FLEET_UNKNOWN_KEY', [...pathOf(base, e.instancePath), key], `unknown key "${key}" in ${what} (Compose Specification)${hint}`, { key: true });
            continue;
          }
          out.error('HAFEN_FLEET_COMPOSE_INVALID', pathOf(base, e.instancePath), `${what}: ${message(e)} (Compose Specification)`);
        }
      }
    }
  });
}
