/** Request bodies are checked with zod; a bad body is a 400 that names every problem. */
import type { FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { HafenError } from '../../lib/errors.js';

export function body<S extends z.ZodType>(schema: S, req: FastifyRequest): z.output<S> {
  return checked(schema, req.body);
}

/** A request body already parsed from JSON, checked against its schema (the plan worker checks POST /v1/plan's this way). */
export function checked<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const res = schema.safeParse(value);
  if (res.success) return res.data;
  throw new HafenError('HAFEN_API_BAD_REQUEST', `invalid request body: ${res.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ')}`);
}
