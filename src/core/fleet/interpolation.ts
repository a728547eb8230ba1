/**
 * Variables in compose files, as Compose interpolates them: `$VAR`, `${VAR}`, `${VAR:-default}`,
 * `${VAR-default}`, `${VAR:?message}`, `${VAR?message}`, `${VAR:+replacement}`,
 * `${VAR+replacement}` (defaults and replacements may hold variables of their own), and `$$`
 * for a dollar sign. Compose itself does the substitution on the host (the agent hands it the
 * app's variables and nothing else); this finds, before anything runs, the variables a value
 * needs that nobody defines, and the `$` that Compose would refuse.
 */

const NAME_START = /[_a-zA-Z]/;
const NAME_CHAR = /[_a-zA-Z0-9]/;

export type Interpolation =
  /** Every variable the text needs is defined. */
  | { ok: true }
  /** Variables the text needs that are not defined, with the message of a `${VAR:?message}`. */
  | { ok: false; undefined: { name: string; message?: string }[] }
  /** Text Compose refuses to interpolate (a lone `$`, an unclosed `${`). */
  | { ok: false; invalid: string };

class Invalid extends Error {}

/** What `text` needs of `defined` when Compose interpolates it. */
export function checkInterpolation(text: string, defined: ReadonlySet<string>): Interpolation {
  if (!text.includes('$')) return { ok: true };
  const missing: { name: string; message?: string }[] = [];
  try {
    scan(text, 0, text.length, defined, missing, true);
  } catch (err) {
    if (err instanceof Invalid) return { ok: false, invalid: err.message };
    throw err;
  }
  return missing.length === 0 ? { ok: true } : { ok: false, undefined: missing };
}

/** Whether `text` refers to any variable, needed or optional (a `$$` alone does not). */
export function hasVariables(text: string): boolean {
  return /\$[{_a-zA-Z]/.test(text.replace(/\$\$/g, ''));
}

/**
 * Scans text[from, to) for references. `active`: the text is used (a default of a defined
 * variable is not, so what it needs does not count). Returns nothing; throws Invalid.
 */
function scan(text: string, from: number, to: number, defined: ReadonlySet<string>, missing: { name: string; message?: string }[], active: boolean): void {
  let i = from;
  while (i < to) {
    const at = text.indexOf('$', i);
    if (at < 0 || at >= to) return;
    const next = text[at + 1];
    if (next === '$') {
      i = at + 2;
      continue;
    }
    if (next !== undefined && at + 1 < to && NAME_START.test(next)) {
      let end = at + 2;
      while (end < to && NAME_CHAR.test(text[end]!)) end++;
      const name = text.slice(at + 1, end);
      if (active && !defined.has(name)) missing.push({ name });
      i = end;
      continue;
    }
    if (next === '{' && at + 1 < to) {
      i = braced(text, at + 2, to, defined, missing, active);
      continue;
    }
    throw new Invalid(`a "$" that starts no variable at "${text.slice(at, at + 12)}"; write "$$" for a dollar sign`);
  }
}

/** A `${…}` whose name starts at `start`; returns the index after its closing brace. */
function braced(text: string, start: number, to: number, defined: ReadonlySet<string>, missing: { name: string; message?: string }[], active: boolean): number {
  let end = start;
  if (end >= to || !NAME_START.test(text[end]!)) throw new Invalid(`"\${" must be followed by a variable name, at "${text.slice(start - 2, start + 10)}"`);
  while (end < to && NAME_CHAR.test(text[end]!)) end++;
  const name = text.slice(start, end);
  const isDefined = defined.has(name);
  if (text[end] === '}') {
    if (active && !isDefined) missing.push({ name });
    return end + 1;
  }
  const op = text.startsWith(':-', end) || text.startsWith(':?', end) || text.startsWith(':+', end) ? text.slice(end, end + 2) : text[end];
  if (op !== ':-' && op !== '-' && op !== ':?' && op !== '?' && op !== ':+' && op !== '+') {
    throw new Invalid(`"\${${name}" is followed by "${text[end] ?? 'the end of the text'}"; Compose allows "}", ":-", "-", ":?", "?", ":+" or "+"`);
  }
  const argStart = end + op!.length;
  const close = closingBrace(text, argStart, to);
  if (close < 0) throw new Invalid(`"\${${name}" is not closed with "}"`);
  if (op === ':?' || op === '?') {
    if (active && !isDefined) missing.push({ name, message: text.slice(argStart, close) });
    return close + 1;
  }
  // A default is used only when the variable is not defined; a replacement only when it is.
  const used = op === ':-' || op === '-' ? !isDefined : isDefined;
  scan(text, argStart, close, defined, missing, active && used);
  return close + 1;
}

/** The `}` closing a `${` whose argument starts at `from`, skipping nested `${…}` and `$$`; -1 when none. */
function closingBrace(text: string, from: number, to: number): number {
  let depth = 0;
  for (let i = from; i < to; i++) {
    const c = text[i];
    if (c === '$' && text[i + 1] === '$') {
      i++;
    } else if (c === '$' && text[i + 1] === '{') {
      depth++;
      i++;
    } else if (c === '}') {
      if (depth === 0) return i;
      depth--;
    }
  }
  return -1;
}

/** Every string value below `value` with its path (keys are not interpolated by Compose). */
export function stringsIn(value: unknown, path: (string | number)[] = []): { path: (string | number)[]; text: string }[] {
  if (typeof value === 'string') return [{ path, text: value }];
  if (Array.isArray(value)) return value.flatMap((v, i) => stringsIn(v, [...path, i]));
  if (value !== null && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => stringsIn(v, [...path, k]));
  return [];
}

/** A literal value as Compose must read it: every `$` doubled, so nothing in it is interpolated. */
export function composeLiteral(value: string): string {
  return value.replace(/\$/g, '$$$$');
}
