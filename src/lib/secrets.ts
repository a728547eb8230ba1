/** Bearer tokens: random, shown once, stored only as a hash. */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A new random token with a readable prefix ("hfa_" admin API, "hfj_" join, "hfh_" host credential). */
export function newToken(prefix: string): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`;
}

/** SHA-256 of a token, hex: what the store keeps. Tokens are random, so no salt is needed. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Constant-time comparison of two hex digests. */
export function sameHash(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}
