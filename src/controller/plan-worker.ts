/**
 * The plan worker's thread (planner.ts starts it): runs one plan job at a time. A plan the API
 * only passes on arrives as the request body's bytes and leaves as the answer's (both moved,
 * not copied, across the thread boundary): parsing 30 MB of JSON and writing it again are the
 * worker's, never the event loop's. An apply's job arrives parsed and gets the whole plan back.
 * Refusals come back in hafen's error shape.
 */
import { parentPort } from 'node:worker_threads';
import { HafenError } from '../lib/errors.js';
import { PlanBody } from './api/schemas.js';
import { checked } from './api/validate.js';
import { newPlanCache, planFleet, tooLarge, type PlanJob, type PlannedFleet } from './plan-job.js';
import { plainProjects, receiveProjects } from './projects.js';

/** A job as the API received it: POST /v1/plan's body, and what the controller adds (the newest revision, secret versions, holds). */
export type PlanContext = Omit<PlanJob, 'sources' | 'projects' | 'lock' | 'previous'>;

export type PlanRequest =
  | { id: number; job: PlanJob }
  | { id: number; body: Uint8Array; context: PlanContext; maxFleetBytes: number };

export type PlanAnswer =
  | { id: number; ok: true; planned: PlannedFleet; site?: string }
  /** The plan as UTF-8 JSON, ready to send. */
  | { id: number; ok: true; json: Uint8Array }
  | { id: number; ok: false; error: { code: string; message: string; details?: unknown } };

const cache = newPlanCache();

/** POST /v1/plan's body: JSON, checked as the route would, the fleet's size limited. */
function jobOf(body: Uint8Array, context: PlanContext, maxFleetBytes: number): { job: PlanJob; site?: string } {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  } catch (err) {
    throw new HafenError('HAFEN_API_BAD_REQUEST', `the request body is not JSON: ${(err as Error).message.slice(0, 200)}`);
  }
  const b = checked(PlanBody, value);
  const bytes = b.sources.reduce((n, s) => n + Buffer.byteLength(s.text), 0);
  if (bytes > maxFleetBytes) throw tooLarge(bytes, maxFleetBytes);
  return { job: { ...context, sources: b.sources, projects: plainProjects(receiveProjects(b.projects)), ...(b.allocations ? { lock: b.allocations } : {}) }, ...(b.site !== undefined ? { site: b.site } : {}) };
}

function run(req: PlanRequest): { answer: PlanAnswer; transfer: ArrayBuffer[] } {
  try {
    if ('job' in req) return { answer: { id: req.id, ok: true, planned: planFleet(req.job, cache) }, transfer: [] };
    const { job, site } = jobOf(req.body, req.context, req.maxFleetBytes);
    const planned = planFleet(job, cache);
    if (site !== undefined) return { answer: { id: req.id, ok: true, planned, site }, transfer: [] };
    // A large string is its own allocation: its bytes move to the event loop's thread as they are.
    const json = Buffer.from(JSON.stringify(planned.plan));
    return { answer: { id: req.id, ok: true, json }, transfer: json.byteOffset === 0 && json.byteLength === json.buffer.byteLength ? [json.buffer as ArrayBuffer] : [] };
  } catch (err) {
    const error = err instanceof HafenError ? { code: err.code, message: err.message, ...(err.details !== undefined ? { details: err.details } : {}) } : { code: 'HAFEN_INTERNAL', message: `planning failed: ${(err as Error).message}` };
    return { answer: { id: req.id, ok: false, error }, transfer: [] };
  }
}

parentPort?.on('message', (req: PlanRequest) => {
  const { answer, transfer } = run(req);
  parentPort!.postMessage(answer, transfer);
});
