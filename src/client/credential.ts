/**
 * A host's credential, shared by the processes that run on the host (agent, proxy): redeemed
 * once from a join token and kept 0600 in the data directory.
 */
import type { TransportOptions } from './controllers.js';
import { chmodSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HafenError } from '../lib/errors.js';
import { writeFileAtomic } from '../lib/fs.js';
import { HafenClient } from './client.js';

export interface HostCredential {
  host: string;
  credential: string;
}

/** Reads `<data>/credential.json`, or redeems `joinToken` for a new one and stores it. */
export async function hostCredential(controller: string, data: string, joinToken: string | undefined, process = 'agent', trust: TransportOptions = {}): Promise<HostCredential> {
  const file = join(data, 'credential.json');
  if (joinToken) {
    const joined = await new HafenClient(controller, undefined, trust).join(joinToken);
    await writeFileAtomic(file, JSON.stringify(joined), 0o600);
    chmodSync(file, 0o600);
    return joined;
  }
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as HostCredential;
  } catch {
    throw new HafenError('HAFEN_NOT_JOINED', `this ${process} has not joined yet (no ${file}); start it once with --join-token from "hafen host join HOST", or point --data at the host's agent data directory`);
  }
}
