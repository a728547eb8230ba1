/**
 * The files of compose project directories on the host, by sha256 (state/blobs/): fetched from
 * the controller once, checked against their digest, kept so that a project is written again
 * (an agent restart, a changed file beside unchanged ones) without asking for what is here.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HafenError } from '../lib/errors.js';
import { writeFileAtomic } from '../lib/fs.js';
import type { BlobSource } from './drivers/compose-directory.js';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A BlobSource over `dir`, fetching what it lacks with `fetch` (the controller's /v1/agent/blobs). */
export function blobCache(dir: string, fetch: (digest: string) => Promise<{ content: string }>): BlobSource {
  return async (digests) => {
    const out = new Map<string, Buffer>();
    for (const digest of digests) {
      if (!/^[0-9a-f]{64}$/.test(digest)) throw new HafenError('HAFEN_DRIVER_COMPOSE_FAILED', `"${digest.slice(0, 80)}" is not a sha256`);
      const path = join(dir, digest);
      const cached = await readFile(path).catch(() => undefined);
      if (cached && sha256(cached) === digest) {
        out.set(digest, cached);
        continue;
      }
      const content = Buffer.from((await fetch(digest)).content, 'base64');
      if (sha256(content) !== digest) throw new HafenError('HAFEN_DRIVER_COMPOSE_FAILED', `the controller sent other content for ${digest}`, { retryable: true });
      await writeFileAtomic(path, content, 0o600);
      out.set(digest, content);
    }
    return out;
  };
}
