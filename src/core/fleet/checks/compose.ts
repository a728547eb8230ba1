/**
 * Compose services against the Compose Specification's own JSON Schema (compose-spec/, kept
 * as published): a typo (`enviroment:`) or a value of the wrong shape is reported at the file,
 * line and path the user wrote, with the nearest key the specification has. hafen's schema
 * only requires an image or a build; everything else about a service is Compose's to say.
 * Variables (`${VAR}`) must be defined by the app's env: never a silent empty string.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import spec from '../compose-spec/compose-spec.json' with { type: 'json' };
import { checkInterpolation, stringsIn } from '../interpolation.js';
import type { FleetPath, ProblemList } from '../problems.js';
import { didYouMean } from '../suggest.js';
import { each, type Parts } from './parts.js';

/** At most this many problems per app: one mistake in a shared anchor should not bury the rest. */
const MAX_PER_APP = 10;

let compiled: ValidateFunction | undefined;

/**
 * The specification's validator of one service, compiled on first use: about 150 ms
 * unoptimised (the generated code's optimisation would double that, for a check that runs
 * once per service per validation).
 */
function serviceValidator(): ValidateFunction {
  if (!compiled) {
    // strict: false — the specification uses annotations ajv does not know ("deprecated");
    // validateSchema: false — it names its meta-schema by an https address ajv does not hold.
    const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false, code: { optimize: false } });
    ajv.addSchema(spec);
    compiled = ajv.compile({ $ref: `${(spec as { $id: string }).$id}#/definitions/service` });
  }
  return compiled;
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
    let reported = 0;
    // Compose interpolates the services with the app's env (values and secrets), nothing else.
    const defined = new Set(Object.keys(app.env ?? {}));
    for (const [name, service] of Object.entries(app.workload.compose?.services ?? {})) {
      const base: FleetPath = ['apps', i, 'workload', 'compose', 'services', name];
      for (const { path, text } of stringsIn(service)) {
        const r = checkInterpolation(text, defined);
        if (r.ok) continue;
        if (reported++ >= MAX_PER_APP) return;
        if ('invalid' in r) {
          out.error('HAFEN_FLEET_COMPOSE_INVALID', [...base, ...path], `compose service "${name}": ${r.invalid}`);
          continue;
        }
        const names = r.undefined.map((v) => `\${${v.name}}${v.message ? ` (${v.message})` : ''}`).join(', ');
        out.error(
          'HAFEN_FLEET_UNDEFINED_VARIABLE',
          [...base, ...path],
          `compose service "${name}" uses ${names}, which the app does not define: add ${r.undefined.length === 1 ? 'it' : 'them'} to the app's env (a value, or {secret: NAME}), give a default ("\${NAME:-default}"), or write "$$" for a dollar sign`,
        );
      }
      const validate = serviceValidator();
      if (validate(service)) continue;
      for (const e of relevant(validate.errors ?? [])) {
        if (reported++ >= MAX_PER_APP) return;
        if (e.keyword === 'additionalProperties') {
          const key = (e.params as { additionalProperty: string }).additionalProperty;
          const hint = e.instancePath === '' ? didYouMean(key, SERVICE_KEYS) : '';
          out.error('HAFEN_FLEET_UNKNOWN_KEY', [...pathOf(base, e.instancePath), key], `unknown key "${key}" in compose service "${name}" (Compose Specification)${hint}`, { key: true });
          continue;
        }
        out.error('HAFEN_FLEET_COMPOSE_INVALID', pathOf(base, e.instancePath), `compose service "${name}": ${message(e)} (Compose Specification)`);
      }
    }
  });
}
