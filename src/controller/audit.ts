/**
 * The audit history: who did what when. A route notes what it did (`noteAudit`) once it has
 * done it; one hook stores the notes of every request that succeeded, after its answer, so a
 * refused request leaves none. Secret values never reach a note (a route notes a secret's name
 * and version), nor do tokens or passwords.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuditEntry, Store } from './store/store.js';

export type AuditNote = Omit<AuditEntry, 'id' | 'at'>;

const NOTES = new WeakMap<FastifyRequest, AuditNote[]>();

/** Remembers what this request did, to be stored if it succeeds. */
export function noteAudit(req: FastifyRequest, note: AuditNote): void {
  const notes = NOTES.get(req);
  if (notes) notes.push(note);
  else NOTES.set(req, [note]);
}

export function auditHook(app: FastifyInstance, store: Pick<Store, 'addAudit'>, now: () => Date): void {
  app.addHook('onResponse', async (req, reply) => {
    const notes = NOTES.get(req);
    if (!notes || reply.statusCode >= 400) return;
    const at = now().toISOString();
    try {
      await store.addAudit(notes.map((n) => ({ at, ...n })));
    } catch (err) {
      req.log.error({ err, actions: notes.map((n) => n.action) }, 'could not store the audit history of a request that succeeded');
    }
  });
}
