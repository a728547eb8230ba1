/** Turns zod issues into fleet problems with messages a person can act on. */
import type { z } from 'zod';
import { closest, didYouMean } from './suggest.js';
import type { FleetPath, ProblemList } from './problems.js';

type AnySchema = z.core.$ZodType;

/**
 * The schema that describes the value at `path` inside `schema`, looking through optional,
 * default, pipe and array wrappers; undefined where the path leaves the schema.
 */
export function schemaAt(schema: AnySchema, path: FleetPath): AnySchema | undefined {
  let cur: AnySchema | undefined = unwrap(schema);
  for (const seg of path) {
    if (!cur) return undefined;
    const def = cur._zod.def as unknown as Record<string, unknown> & { type: string };
    if (def.type === 'object' && typeof seg === 'string') cur = (def.shape as Record<string, AnySchema>)[seg];
    else if (def.type === 'array' && typeof seg === 'number') cur = def.element as AnySchema;
    else if (def.type === 'record') cur = def.valueType as AnySchema;
    else return undefined;
    cur = cur && unwrap(cur);
  }
  return cur;
}

function unwrap(schema: AnySchema): AnySchema {
  let cur = schema;
  for (;;) {
    const def = cur._zod.def as unknown as Record<string, unknown> & { type: string };
    if (['optional', 'default', 'prefault', 'nullable', 'readonly', 'nonoptional', 'catch'].includes(def.type)) cur = def.innerType as AnySchema;
    else if (def.type === 'pipe') cur = def.in as AnySchema;
    else return cur;
  }
}

/** Keys an object schema accepts. */
function knownKeys(schema: AnySchema | undefined): string[] {
  const def = schema?._zod.def as unknown as { type: string; shape?: Record<string, unknown> } | undefined;
  return def?.type === 'object' && def.shape ? Object.keys(def.shape) : [];
}

function ownDescription(schema: AnySchema): string | undefined {
  const meta = (schema as unknown as { description?: string }).description;
  return typeof meta === 'string' ? meta : undefined;
}

/** The description of the value at `path`, from the outermost wrapper that has one. */
function descriptionAt(schema: AnySchema, path: FleetPath): string | undefined {
  const parent = path.length ? schemaAt(schema, path.slice(0, -1)) : undefined;
  const seg = path[path.length - 1];
  let cur: AnySchema | undefined = schema;
  if (parent) {
    const def = parent._zod.def as unknown as Record<string, unknown> & { type: string };
    if (def.type === 'object' && typeof seg === 'string') cur = (def.shape as Record<string, AnySchema>)[seg];
    else if (def.type === 'array') cur = def.element as AnySchema;
    else if (def.type === 'record') cur = def.valueType as AnySchema;
  } else if (path.length) {
    cur = undefined;
  }
  while (cur) {
    const found = ownDescription(cur);
    if (found) return found;
    const def = cur._zod.def as unknown as Record<string, unknown> & { type: string };
    cur = (def.innerType ?? (def.type === 'pipe' ? def.in : undefined)) as AnySchema | undefined;
  }
  return undefined;
}

/** Whether a union branch is meant for values of the type written (a list for an array, …). */
function branchFits(branch: AnySchema, raw: unknown): boolean {
  const type = (unwrap(branch)._zod.def as unknown as { type: string }).type;
  if (Array.isArray(raw)) return type === 'array' || type === 'tuple';
  if (raw !== null && typeof raw === 'object') return type === 'object' || type === 'record';
  if (typeof raw === 'string') return ['string', 'enum', 'literal', 'template_literal'].includes(type);
  if (typeof raw === 'number') return type === 'number' || type === 'int';
  if (typeof raw === 'boolean') return type === 'boolean';
  return false;
}

/** The raw value at `path` in plain data. */
export function valueAt(data: unknown, path: FleetPath): unknown {
  let cur = data;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return cur;
}

/** How a raw YAML value reads in a message: strings quoted, long ones cut. */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function typeName(expected: string): string {
  switch (expected) {
    case 'array': return 'a list';
    case 'object': return 'a mapping';
    case 'string': return 'text';
    case 'number': return 'a number';
    case 'int': return 'a whole number';
    case 'boolean': return 'true or false';
    default: return expected;
  }
}

/**
 * Adds one problem per zod issue. `base` is the merged path of the value that was parsed,
 * `data` that value, `schema` its schema.
 */
export function reportIssues(
  issues: readonly z.core.$ZodIssue[],
  schema: AnySchema,
  data: unknown,
  base: FleetPath,
  out: ProblemList,
): void {
  // A misspelt key also shows up as a missing one; report it once, as the misspelling.
  const suggested = new Set<string>();
  for (const issue of issues) {
    if (issue.code !== 'unrecognized_keys') continue;
    const known = knownKeys(schemaAt(schema, issue.path as FleetPath));
    for (const key of issue.keys) {
      const c = closest(key, known);
      if (c !== undefined) suggested.add(JSON.stringify([...issue.path, c]));
    }
  }
  for (const issue of issues) {
    const rel = issue.path as (string | number)[];
    const path = [...base, ...rel];
    const raw = valueAt(data, rel);
    switch (issue.code) {
      case 'unrecognized_keys': {
        const known = knownKeys(schemaAt(schema, rel));
        for (const key of issue.keys) {
          out.error('HAFEN_FLEET_UNKNOWN_KEY', [...path, key], `unknown key "${key}"${didYouMean(key, known)}`, { key: true });
        }
        break;
      }
      case 'invalid_type': {
        if (raw === undefined) {
          if (suggested.has(JSON.stringify(rel))) break;
          const key = rel[rel.length - 1];
          out.error('HAFEN_FLEET_REQUIRED', path, `missing required key "${String(key)}"`);
        } else {
          const expected = issue.expected === 'number' && Number.isFinite(Number(raw)) ? 'a number (without quotes)' : typeName(issue.expected);
          const desc = descriptionAt(schema, rel);
          out.error('HAFEN_FLEET_TYPE', path, `expected ${expected}, got ${show(raw)}${desc ? ` (${desc.replace(/\.$/, '')})` : ''}`);
        }
        break;
      }
      case 'invalid_value': {
        const values = issue.values.map(String);
        const hint = typeof raw === 'string' ? didYouMean(raw, values) : '';
        out.error('HAFEN_FLEET_INVALID_VALUE', path, `${show(raw)} is not one of ${values.join(', ')}${hint}`);
        break;
      }
      case 'invalid_format':
        out.error('HAFEN_FLEET_INVALID_FORMAT', path, `${show(raw)} ${issue.message}`);
        break;
      case 'too_small':
      case 'too_big': {
        const isList = Array.isArray(raw);
        const what = isList ? `has ${raw.length} entries` : `is ${show(raw)}`;
        out.error('HAFEN_FLEET_OUT_OF_RANGE', path, `${rangeMessage(issue)}; it ${what}`);
        break;
      }
      case 'invalid_union': {
        // Report the branch whose type matches what was written (a list of days, say) in detail.
        const union = schemaAt(schema, rel);
        const options = (union?._zod.def as unknown as { options?: AnySchema[] } | undefined)?.options ?? [];
        const branch = options.findIndex((o) => branchFits(o, raw));
        if (branch >= 0 && issue.errors[branch]) {
          reportIssues(issue.errors[branch], options[branch]!, raw, path, out);
        } else {
          const desc = descriptionAt(schema, rel);
          out.error('HAFEN_FLEET_INVALID_VALUE', path, `${show(raw)} is not valid${desc ? `: ${desc}` : ''}`);
        }
        break;
      }
      case 'not_multiple_of':
        out.error('HAFEN_FLEET_OUT_OF_RANGE', path, `${show(raw)} must be a multiple of ${String(issue.divisor)}`);
        break;
      default:
        out.error('HAFEN_FLEET_INVALID', path, raw === null || typeof raw === 'object' || raw === undefined ? issue.message : `${show(raw)}: ${issue.message}`);
    }
  }
}

function rangeMessage(issue: z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig): string {
  if (!issue.message.startsWith('Too ') && !issue.message.startsWith('Invalid')) return issue.message;
  const bound = issue.code === 'too_small' ? issue.minimum : issue.maximum;
  const word = issue.code === 'too_small' ? 'at least' : 'at most';
  const strict = issue.inclusive === false ? (issue.code === 'too_small' ? 'more than' : 'less than') : word;
  if (issue.origin === 'array') return `needs ${strict} ${String(bound)} ${Number(bound) === 1 ? 'entry' : 'entries'}`;
  if (issue.origin === 'string') return `must be ${strict} ${String(bound)} characters long`;
  return `must be ${strict} ${String(bound)}`;
}
