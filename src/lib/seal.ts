/**
 * Authenticated encryption of small values at rest: AES-256-GCM with a random 96-bit nonce
 * per value. The associated data binds a ciphertext to where it belongs (e.g. the secret's
 * name), so a value copied to another row does not decrypt. Sealed form, all base64url:
 * `v1.<nonce>.<tag>.<ciphertext>`.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { HafenError } from './errors.js';

export const KEY_BYTES = 32;

/** A short, non-secret fingerprint of a key: tells which key sealed a value. */
export function keyId(key: Buffer): string {
  return createHash('sha256').update('hafen-key-id\0').update(key).digest('hex').slice(0, 16);
}

/** Parses a 32-byte key written as base64 (44 characters) or hex (64 characters). */
export function parseKey(text: string, where: string): Buffer {
  const t = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(t) ? Buffer.from(t, 'hex') : /^[A-Za-z0-9+/_-]{43}=?$/.test(t) ? Buffer.from(t, 'base64') : undefined;
  if (!key || key.length !== KEY_BYTES) {
    throw new HafenError('HAFEN_SECRET_KEY_INVALID', `${where} must hold a 32-byte key as base64 or hex (create one with: openssl rand -base64 32)`);
  }
  return key;
}

export function newKey(): Buffer {
  return randomBytes(KEY_BYTES);
}

export function seal(key: Buffer, plaintext: string, aad: string): string {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return ['v1', nonce.toString('base64url'), cipher.getAuthTag().toString('base64url'), ct.toString('base64url')].join('.');
}

/** Decrypts a sealed value; fails with HAFEN_SECRET_UNSEAL (never showing any of it) when the key, the data or `aad` is wrong. */
export function unseal(key: Buffer, sealed: string, aad: string): string {
  const parts = sealed.split('.');
  try {
    if (parts.length !== 4 || parts[0] !== 'v1') throw new Error('unknown format');
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(parts[1]!, 'base64url'));
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(Buffer.from(parts[2]!, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(parts[3]!, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    throw new HafenError('HAFEN_SECRET_UNSEAL', `cannot decrypt the value for ${aad}: wrong key or damaged data`);
  }
}
