/**
 * Parsing of the unit strings a fleet file uses for sizes ("512MiB", "2TiB", "1.5TB") and
 * bit rates ("10Gbit/s", "500Mbps"). Sizes always need a unit: a bare number is ambiguous
 * between bytes, MiB and GiB, and a wrong guess silently over-commits a host.
 */

const SIZE_UNITS: Record<string, number> = {
  B: 1,
  KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12, PB: 1e15,
  KIB: 2 ** 10, MIB: 2 ** 20, GIB: 2 ** 30, TIB: 2 ** 40, PIB: 2 ** 50,
  KI: 2 ** 10, MI: 2 ** 20, GI: 2 ** 30, TI: 2 ** 40, PI: 2 ** 50,
};

/** Pattern of a size string, also published in the JSON Schema. */
export const SIZE_PATTERN = '^\\s*[0-9]+(\\.[0-9]+)?\\s*([kKmMgGtTpP]i?[bB]?|[bB])\\s*$';

/** Bytes of a size string like "512MiB" or "2 TB"; undefined when it is not one. */
export function parseBytes(text: string): number | undefined {
  const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*([a-zA-Z]+)\s*$/.exec(text);
  if (!m) return undefined;
  const factor = SIZE_UNITS[m[2]!.toUpperCase()];
  if (factor === undefined) return undefined;
  return Math.round(Number(m[1]) * factor);
}

const RATE_UNITS: Record<string, number> = {
  BIT: 1, KBIT: 1e3, MBIT: 1e6, GBIT: 1e9, TBIT: 1e12,
  BPS: 1, KBPS: 1e3, MBPS: 1e6, GBPS: 1e9, TBPS: 1e12,
};

/** Pattern of a bit-rate string, also published in the JSON Schema. */
export const RATE_PATTERN = '^\\s*[0-9]+(\\.[0-9]+)?\\s*[kKmMgGtT]?(bit(/s)?|bps)\\s*$';

/** Bits per second of a rate string like "10Gbit/s", "1 Gbit" or "500Mbps". */
export function parseBitrate(text: string): number | undefined {
  const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*([a-zA-Z]+)(\/s)?\s*$/.exec(text);
  if (!m) return undefined;
  const unit = m[2]!.toUpperCase();
  if (unit.endsWith('BPS') && m[3]) return undefined;
  const factor = RATE_UNITS[unit];
  if (factor === undefined) return undefined;
  return Math.round(Number(m[1]) * factor);
}

/** Human form of a byte count in binary units, e.g. 1.5 TiB. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = bytes;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  const digits = i === 0 || v >= 100 ? 0 : v >= 10 ? 1 : 2;
  return `${Number(v.toFixed(digits))} ${units[i]}`;
}
