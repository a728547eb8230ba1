/**
 * App secrets: operators set and delete them, viewers list names and versions. No route
 * returns a value; agents receive values only inside their own host's desired state.
 */
import type { FastifyInstance } from 'fastify';
import { SecretName } from '../../core/fleet/schema/app.js';
import { HafenError } from '../../lib/errors.js';
import type { ControllerService } from '../service.js';
import { requireRole } from './auth.js';
import { SecretBody } from './schemas.js';
import { body } from './validate.js';

function secretName(raw: string): string {
  const res = SecretName.safeParse(raw);
  if (!res.success) throw new HafenError('HAFEN_API_BAD_REQUEST', `secret name "${raw}" ${res.error.issues[0]?.message ?? 'is invalid'}`);
  return res.data;
}

export function secretRoutes(app: FastifyInstance, service: ControllerService): void {
  app.get('/v1/secrets', async (req) => {
    await requireRole(service.store, req, 'viewer');
    const secrets = await service.secrets.list();
    return { secrets: await Promise.all(secrets.map(async (s) => ({ ...s, usedBy: await service.secretUsers(s.name) }))) };
  });

  app.put<{ Params: { name: string } }>('/v1/secrets/:name', async (req) => {
    const who = await requireRole(service.store, req, 'operator');
    const name = secretName(req.params.name);
    const { value } = body(SecretBody, req);
    const info = await service.setSecret(name, value, who.name);
    return { ...info, usedBy: await service.secretUsers(name) };
  });

  app.delete<{ Params: { name: string } }>('/v1/secrets/:name', async (req) => {
    await requireRole(service.store, req, 'operator');
    const name = secretName(req.params.name);
    await service.deleteSecret(name);
    return { deleted: name };
  });
}
