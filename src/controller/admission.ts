/** What a valid fleet must also satisfy before the controller plans it: what it can run, and secrets that are set. */
import type { Fleet } from '../core/fleet/model.js';
import type { Problem } from '../core/fleet/problems.js';
import { secretUses } from '../core/render/env.js';
import { HafenError } from '../lib/errors.js';

/** Throws (nothing changed) when the fleet names compose files by path or uses secrets that are not set. */
export function admissible(fleet: Fleet, versions: ReadonlyMap<string, number>): void {
  // Compose files named by path are not sent with the fleet yet: refuse them instead of running an empty project.
  const byFile = fleet.apps.flatMap((a, i): Problem[] =>
    a.workload.compose?.file === undefined
      ? []
      : [{ severity: 'error', code: 'HAFEN_FLEET_UNSUPPORTED', path: `apps[${i}].workload.compose.file`, message: `app "${a.id}": the controller cannot run compose files named by path yet; put the services under workload.compose.services` }],
  );
  if (byFile.length > 0) throw new HafenError('HAFEN_FLEET_INVALID', `the fleet has ${byFile.length} problem(s); nothing was changed`, { details: byFile });
  const missing = secretUses(fleet).filter((u) => !versions.has(u.secret));
  if (missing.length > 0) {
    const names = [...new Set(missing.map((m) => m.secret))];
    throw new HafenError(
      'HAFEN_SECRET_MISSING',
      `the fleet uses ${names.length} secret(s) that are not set (${missing.map((m) => `${m.path}: "${m.secret}"`).join('; ')}); set ${names.length === 1 ? 'it' : 'them'} with: ${names.map((n) => `hafen secret set ${n}`).join(', ')}. Nothing was changed`,
      { details: missing },
    );
  }
}
