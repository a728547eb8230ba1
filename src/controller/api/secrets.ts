/**
 * App secrets: operators set and delete them, viewers list names and versions. No route
 * returns a value; agents receive values only inside their own host's desired state.
 */
import type { FastifyInstance } from 'fastify';
import { SecretName } from '../../core/fleet/schema/app.js';
import { HafenError } from '../../lib/errors.js';
import { type Credentials, requireRole } from './auth.js';
import { noteAudit } from '../audit.js';
import { SecretBody } from './schemas.js';
import { body } from './validate.js';
import type { Secrets } from '../secrets.js';
import type { RevisionKeeper } from '../revisions.js';

/** What the secret routes need: the secrets, and who uses them. */
export interface SecretsApi {
  auth: Credentials;
  secrets: Pick<Secrets, 'list'>;
  setSecret: RevisionKeeper['setSecret'];
  deleteSecret: RevisionKeeper['deleteSecret'];
  secretUsers: RevisionKeeper['secretUsers'];
}

function secretName(raw: string): string {
  const res = SecretName.safeParse(raw);
  if (!res.success) throw new HafenError('HAFEN_API_BAD_REQUEST', `secret name "${raw}" ${res.error.issues[0]?.message ?? 'is invalid'}`);
  return res.data;
}

export function secretRoutes(app: FastifyInstance, api: SecretsApi): void {
  app.get('/v1/secrets', async (req) => {
    await requireRole(api.auth, req, 'viewer');
    const secrets = await api.secrets.list();
    return { secrets: await Promise.all(secrets.map(async (s) => ({ ...s, usedBy: await api.secretUsers(s.name) }))) };
  });

  app.put<{ Params: { name: string } }>('/v1/secrets/:name', async (req) => {
    const who = await requireRole(api.auth, req, 'operator');
    const name = secretName(req.params.name);
    const { value } = body(SecretBody, req);
    const info = await api.setSecret(name, value, who.name);
    noteAudit(req, { actor: who.name, action: 'secret.set', subject: name, detail: { version: info.version } });
    return { ...info, usedBy: await api.secretUsers(name) };
  });

  app.delete<{ Params: { name: string } }>('/v1/secrets/:name', async (req) => {
    const who = await requireRole(api.auth, req, 'operator');
    const name = secretName(req.params.name);
    await api.deleteSecret(name);
    noteAudit(req, { actor: who.name, action: 'secret.delete', subject: name });
    return { deleted: name };
  });
}
