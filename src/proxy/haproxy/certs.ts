/**
 * Certificates for HAProxy from hafen's certificate directory — the one the built-in proxy reads:
 * NAME.crt with NAME.key, "_.example.com" standing for *.example.com. Each pair becomes a PEM
 * bundle (certificate and key, mode 600) in HAProxy's directory and a line of its crt-list with
 * the name as the SNI filter. What changed goes to the running HAProxy through the Runtime API:
 * a renewed pair replaces the certificate in place (set + commit ssl cert), a new pair is added
 * to the crt-list, a removed one deleted from it. A pair that does not load is reported and left
 * out; the others keep working. Private keys never appear in a message.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { readPairs, type CertProblem } from '../certs.js';

export interface CertBundle {
  /** The SNI name it serves: "shop.example.com", "*.example.net". */
  sni: string;
  /** The bundle's path in HAProxy's directory. */
  file: string;
  /** Certificate chain and key, PEM. */
  pem: string;
}

/** The pairs of `src` as bundles to be written under `dst` (sorted by file name), and the pairs that do not load. */
export function readCertPairs(src: string, dst: string): { bundles: CertBundle[]; problems: CertProblem[] } {
  const { pairs, problems } = readPairs(src);
  return { bundles: pairs.map((p) => ({ sni: p.name, file: join(dst, `${p.stem.toLowerCase()}.pem`), pem: `${p.cert.trimEnd()}\n${p.key.trimEnd()}\n` })), problems };
}

/** The crt-list naming every bundle with its SNI filter. */
export function crtList(bundles: readonly CertBundle[]): string {
  return bundles.map((b) => `${b.file} ${b.sni}\n`).join('');
}

export const pemHash = (pem: string) => createHash('sha256').update(pem).digest('hex');

export interface CertStep {
  /** For messages: what the step does, without the payload ("add *.example.net"). */
  what: string;
  /** The Runtime API command (a payload after "<<" ends with the blank line the caller's newline makes). */
  command: string;
  /** A pattern HAProxy's answer matches when the step worked. */
  ok: RegExp;
}

/**
 * The Runtime API steps from the certificates HAProxy holds (`had`: bundle file → hash of its
 * PEM) to `next`, listed in `list` (the crt-list file the bind line names).
 */
export function certSteps(had: ReadonlyMap<string, string>, next: readonly CertBundle[], list: string): CertStep[] {
  const steps: CertStep[] = [];
  const set = (b: CertBundle): CertStep[] => [
    { what: `load ${b.sni}`, command: `set ssl cert ${b.file} <<\n${b.pem}`, ok: /Transaction (created|updated)/ },
    { what: `commit ${b.sni}`, command: `commit ssl cert ${b.file}`, ok: /Success!/ },
  ];
  for (const b of next) {
    const was = had.get(b.file);
    if (was === undefined) {
      steps.push({ what: `add ${b.sni}`, command: `new ssl cert ${b.file}`, ok: /New empty certificate store/ }, ...set(b));
      steps.push({ what: `list ${b.sni}`, command: `add ssl crt-list ${list} <<\n${b.file} ${b.sni}\n`, ok: /Success!/ });
    } else if (was !== pemHash(b.pem)) steps.push(...set(b));
  }
  const keep = new Set(next.map((b) => b.file));
  for (const file of had.keys()) {
    if (keep.has(file)) continue;
    steps.push({ what: `unlist ${file}`, command: `del ssl crt-list ${list} ${file}`, ok: /deleted/ }, { what: `remove ${file}`, command: `del ssl cert ${file}`, ok: /deleted/ });
  }
  return steps;
}
