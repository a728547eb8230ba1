/**
 * Certificates for tests, made when the test runs (never a fixture that expires): self-signed
 * ECDSA P-256, valid from yesterday for a year by the clock of the process, so a test passes on
 * any day — also with that clock moved ahead (docs/testing.md). Node alone: @peculiar/x509 on
 * Node's WebCrypto, no openssl.
 */
import 'reflect-metadata';
import { KeyObject, webcrypto } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';

export interface TestCert {
  /** The certificate, PEM. */
  cert: string;
  /** Its private key, PKCS#8 PEM. */
  key: string;
}

const DAY = 86_400_000;
const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

/**
 * What OpenSSL takes for now when it checks a certificate: the system clock. Tests run with the
 * clock moved ahead (scripts/clock-ahead.mjs, HAFEN_CLOCK_AHEAD_DAYS) move JavaScript's clock
 * only, so the certificate is dated by the clock that will judge it.
 */
const systemNow = () => Date.now() - Math.round(Number(process.env.HAFEN_CLOCK_AHEAD_DAYS ?? 0) * DAY);

/** A self-signed certificate for `name` (the CN and the only DNS name; "*.example.net" for a wildcard), and `ip` as an address it is valid for. */
export async function selfSigned(name: string, o: { days?: number; now?: number; ip?: string } = {}): Promise<TestCert> {
  const now = o.now ?? systemNow();
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  // Signed with Node's WebCrypto (globalThis.crypto), the library's default provider.
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
{
    serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(8))).toString('hex').replace(/^[89a-f]/, '1'),
      name: `CN=${name}`,
      notBefore: new Date(now - DAY),
      notAfter: new Date(now - DAY + (o.days ?? 365) * DAY),
      signingAlgorithm: ALG,
      keys,
      extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: name }, ...(o.ip ? [{ type: 'ip' as const, value: o.ip }] : [])]), new x509.BasicConstraintsExtension(false)],
    },
  );
  const key = KeyObject.from(keys.privateKey).export({ type: 'pkcs8', format: 'pem' }).toString();
  return { cert: `${cert.toString('pem').trim()}\n`, key };
}

/** The file stem of a name in a certificate directory: "_" stands for "*". */
export const certStem = (name: string) => name.replace(/^\*/, '_');

/** Writes NAME.crt and NAME.key for each name into `dir` (the layout `hafen proxy --certs` reads); returns them by name. */
export async function writeCerts(dir: string, names: readonly string[]): Promise<Record<string, TestCert>> {
  const out: Record<string, TestCert> = {};
  for (const name of names) {
    const c = await selfSigned(name);
    writeFileSync(join(dir, `${certStem(name)}.key`), c.key, { mode: 0o600 });
    writeFileSync(join(dir, `${certStem(name)}.crt`), c.cert);
    out[name] = c;
  }
  return out;
}
