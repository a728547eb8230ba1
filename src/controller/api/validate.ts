/** Request bodies are checked with zod; a bad body is a 400 that names every problem. */
import type { FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { HafenError } from '../../lib/errors.js';

export function body<S extends z.ZodType>(schema: S, req: FastifyRequest): z.output<S> {
  const res = schema.safeParse(req.body);
  if (res.success) return res.data;
  throw new HafenError('HAFEN_API_BAD_REQUEST', `invalid request body: ${res.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ')}`);
}
