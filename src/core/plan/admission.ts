/** What a valid fleet must also satisfy before the controller plans it: secrets that are set. */
import type { Fleet } from '../fleet/model.js';
import { secretUses, type SecretUse } from '../render/env.js';

export interface Admission {
  /** Uses of secrets that are not set. */
  missingSecrets: SecretUse[];
}

/** What keeps a valid fleet from being planned: nothing when the list is empty. */
export function admission(fleet: Fleet, versions: ReadonlyMap<string, number>): Admission {
  return { missingSecrets: secretUses(fleet).filter((u) => !versions.has(u.secret)) };
}
