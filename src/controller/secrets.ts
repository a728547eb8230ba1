/**
 * App secrets: values sealed with AES-256-GCM (lib/seal.ts) before they reach the store, under a
 * key the store never holds (HAFEN_SECRET_KEY, a key file, or a generated key file in the data
 * directory). Values leave the controller only inside the desired state sent to the agent of a
 * host that runs a unit using them; the API lists names and versions, never values, and no
 * log line or error carries a value.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { BackupJob } from '../core/render/backups.js';
import type { DesiredUnit } from '../core/render/desired.js';
import { HafenError } from '../lib/errors.js';
import { writeFileAtomic } from '../lib/fs.js';
import { keyId, newKey, parseKey, seal, unseal } from '../lib/seal.js';
import type { SecretInfo, Store } from './store/store.js';

export interface SecretKey {
  key: Buffer;
  /** Fingerprint, safe to show. */
  id: string;
  /** Where the key came from, for the start-up line (never the key). */
  source: string;
  warnings: string[];
}

/** Largest secret value accepted. */
export const MAX_SECRET_BYTES = 64 * 1024;

/**
 * The secret key: HAFEN_SECRET_KEY (base64 or hex), else `file`, else `<data>/secret.key`,
 * created (0600) on first start. A key beside the store protects against a leaked database
 * or backup of it, not against someone who can read the data directory: production keeps the
 * key elsewhere (a key file on another mount, or the environment from a secret manager).
 */
export async function loadSecretKey(opts: { env?: string; file?: string; data: string }): Promise<SecretKey> {
  if (opts.env !== undefined && opts.env.trim() !== '') {
    const key = parseKey(opts.env, 'HAFEN_SECRET_KEY');
    return { key, id: keyId(key), source: 'HAFEN_SECRET_KEY', warnings: [] };
  }
  const file = opts.file ?? join(opts.data, 'secret.key');
  const warnings: string[] = [];
  if (!existsSync(file)) {
    if (opts.file !== undefined) throw new HafenError('HAFEN_SECRET_KEY_MISSING', `the secret key file ${file} does not exist (create one with: (umask 077; openssl rand -base64 32 > ${file}))`);
    await writeFileAtomic(file, `${newKey().toString('base64')}\n`, 0o600);
    warnings.push(`created a new secret key in ${file}; keep a copy somewhere safe: without it the stored secrets cannot be read`);
  }
  if ((statSync(file).mode & 0o077) !== 0) warnings.push(`the secret key file ${file} can be read by other users; chmod 600 it`);
  const key = parseKey(readFileSync(file, 'utf8'), file);
  return { key, id: keyId(key), source: file, warnings };
}

const aad = (name: string) => `secret ${name}`;

export class Secrets {
  /** Secret name → version; loaded on first use, replaced (not changed) by set and remove. */
  private versionCache?: Map<string, number>;

  constructor(
    private readonly store: Store,
    private readonly key: SecretKey,
  ) {}

  /** A value only this controller's key yields for `label` (HMAC-SHA256, base64url): tokens that need no storage of their own. */
  derive(label: string): string {
    return createHmac('sha256', this.key.key).update(label).digest('base64url');
  }

  /**
   * A compose project's file as the store keeps it: sealed like a secret value (a project's
   * `.env` and `secrets:` files hold passwords), bound to its digest.
   */
  sealBlob(digest: string, base64: string): string {
    return seal(this.key.key, base64, `blob ${digest}`);
  }

  /** A stored file's content (base64); one stored before files were sealed is as it was. */
  unsealBlob(digest: string, stored: string): string {
    return stored.startsWith('v1.') ? unseal(this.key.key, stored, `blob ${digest}`) : stored;
  }

  /** Refuses a key that did not seal the stored secrets (a wrong key would make every read fail later). */
  async checkKey(): Promise<void> {
    const other = (await this.store.listSecrets()).filter((s) => s.keyId !== this.key.id);
    if (other.length > 0) {
      throw new HafenError(
        'HAFEN_SECRET_KEY_MISMATCH',
        `${other.length} stored secret(s) (${other.slice(0, 3).map((s) => s.name).join(', ')}${other.length > 3 ? ', …' : ''}) were sealed with key ${other[0]!.keyId}, but this controller has key ${this.key.id} (from ${this.key.source}); start it with the key that sealed them`,
      );
    }
  }

  async versions(): Promise<ReadonlyMap<string, number>> {
    this.versionCache ??= new Map((await this.store.listSecrets()).map((s) => [s.name, s.version]));
    return this.versionCache;
  }

  list(): Promise<SecretInfo[]> {
    return this.store.listSecrets();
  }

  async set(name: string, value: string, by: string, at: Date): Promise<SecretInfo> {
    if (value.length === 0) throw new HafenError('HAFEN_SECRET_EMPTY', `the value for secret "${name}" is empty; nothing was stored`);
    if (Buffer.byteLength(value) > MAX_SECRET_BYTES) throw new HafenError('HAFEN_SECRET_TOO_LARGE', `the value for secret "${name}" is larger than ${MAX_SECRET_BYTES / 1024} KiB; nothing was stored`);
    if (value.includes('\0')) throw new HafenError('HAFEN_SECRET_INVALID', `the value for secret "${name}" contains a NUL byte, which no environment variable can hold; nothing was stored`);
    const info = await this.store.putSecret({ name, keyId: this.key.id, sealed: seal(this.key.key, value, aad(name)), updatedAt: at.toISOString(), updatedBy: by });
    // A new map on every change (never mutated): callers may compare versions() by identity.
    this.versionCache = new Map(await this.versions()).set(name, info.version);
    return info;
  }

  async remove(name: string, at: Date): Promise<boolean> {
    const removed = await this.store.deleteSecret(name, at.toISOString());
    const next = new Map(await this.versions());
    next.delete(name);
    this.versionCache = next;
    return removed;
  }

  /**
   * Sets each named secret that is not set yet to 32 random bytes (base64url), e.g. backup
   * repository passwords. Losing them (and the key) loses what they protect: they are in the
   * controller's backup like every secret.
   */
  async makeMissing(names: readonly string[], by: string, at: Date): Promise<void> {
    const versions = await this.versions();
    for (const name of names) if (!versions.has(name)) await this.set(name, randomBytes(32).toString('base64url'), by, at);
  }

  /** One secret's value for the controller's own use (a notifier's password); undefined when not set. Never log it. */
  async value(name: string): Promise<string | undefined> {
    const rec = await this.store.getSecret(name);
    return rec ? unseal(this.key.key, rec.sealed, aad(name)) : undefined;
  }

  /** The backup jobs with their repository password filled in, for the agent of their host. */
  async revealBackups(jobs: readonly BackupJob[] | undefined): Promise<BackupJob[] | undefined> {
    if (!jobs) return undefined;
    return Promise.all(
      jobs.map(async (j) => {
        const password = await this.value(j.passwordSecret);
        return password === undefined ? j : { ...j, password };
      }),
    );
  }

  /**
   * The units with `secretValues` filled in, for the agent of their host. A secret that is no
   * longer set (it cannot be deleted while the newest revision uses it) is left out.
   */
  async reveal(units: readonly DesiredUnit[]): Promise<DesiredUnit[]> {
    const values = new Map<string, string | undefined>();
    const valueOf = async (name: string) => {
      if (!values.has(name)) {
        const rec = await this.store.getSecret(name);
        values.set(name, rec && unseal(this.key.key, rec.sealed, aad(name)));
      }
      return values.get(name);
    };
    return Promise.all(
      units.map(async (u) => {
        if (!u.secretEnv) return u;
        const secretValues: Record<string, string> = {};
        for (const [env, name] of Object.entries(u.secretEnv)) {
          const v = await valueOf(name);
          if (v !== undefined) secretValues[env] = v;
        }
        return { ...u, secretValues };
      }),
    );
  }
}
