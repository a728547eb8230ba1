/**
 * Canonical JSON (object keys sorted at every level) and a small non-cryptographic hash of
 * it. Used to name and compare rendered configuration: equal data gives equal text and the
 * same hash on every machine, so plans and diffs only show real change.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value as Record<string, unknown>)
        .sort()
        .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/** 64-bit FNV-1a of the UTF-16 code units, as 16 hex digits. Change detection, not security. */
export function fnv1a64(text: string): string {
  let h = 0xcbf29ce484222325n;
  const prime = 0x100000001b3n;
  const mask = 0xffffffffffffffffn;
  for (let i = 0; i < text.length; i++) {
    h ^= BigInt(text.charCodeAt(i));
    h = (h * prime) & mask;
  }
  return h.toString(16).padStart(16, '0');
}

/** Hash of the canonical JSON of a value. */
export function contentHash(value: unknown): string {
  return fnv1a64(canonicalJson(value));
}
