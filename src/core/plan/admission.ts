/** What a valid fleet must also satisfy before the controller plans it: what it can run, and secrets that are set. */
import type { Fleet } from '../fleet/model.js';
import type { Problem } from '../fleet/problems.js';
import { secretUses, type SecretUse } from '../render/env.js';

export interface Admission {
  /** Problems of what the controller cannot run (compose files named by path). */
  unsupported: Problem[];
  /** Uses of secrets that are not set. */
  missingSecrets: SecretUse[];
}

/** What keeps a valid fleet from being planned: nothing when both lists are empty. */
export function admission(fleet: Fleet, versions: ReadonlyMap<string, number>): Admission {
  // Compose files named by path are not sent with the fleet yet: refuse them instead of running an empty project.
  const unsupported = fleet.apps.flatMap((a, i): Problem[] =>
    a.workload.compose?.file === undefined
      ? []
      : [{ severity: 'error', code: 'HAFEN_FLEET_UNSUPPORTED', path: `apps[${i}].workload.compose.file`, message: `app "${a.id}": the controller cannot run compose files named by path yet; put the services under workload.compose.services` }],
  );
  return { unsupported, missingSecrets: secretUses(fleet).filter((u) => !versions.has(u.secret)) };
}
