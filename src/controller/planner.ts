/**
 * Plans and applies off the event loop: validating, placing, rendering and the risk analysis
 * of a fleet run in one worker thread (plan-worker.ts), one job at a time, the others queued,
 * while the controller goes on answering health checks, agents' long-polls and reports. A job
 * has a size limit (checked before it starts), a time limit and a memory limit (the worker is
 * stopped and a fresh one started for the next job), each answered with its own error; stopping
 * the controller stops the worker at once, whatever it computes.
 */
import { Worker } from 'node:worker_threads';
import { HafenError } from '../lib/errors.js';
import type { ErrorCode } from '../lib/error-codes.js';
import { tooLarge, type PlanJob, type PlannedFleet } from './plan-job.js';
import type { PlanAnswer, PlanContext, PlanRequest } from './plan-worker.js';

type Answered = Exclude<PlanAnswer, { ok: false }>;
/** A request before it has its id. */
type Work = { job: PlanJob } | { body: Uint8Array; context: PlanContext; maxFleetBytes: number };

export interface PlannerOptions {
  /** Longest one plan may compute (default 300 s). */
  timeoutMs?: number;
  /** Largest fleet planned: its files' text together (default 64 MiB, the API's body limit for fleets). */
  maxFleetBytes?: number;
  /** Heap the worker may use (default 4096 MB); a plan needing more is refused as too large. */
  maxMemoryMb?: number;
  /** Plans and applies waiting behind the running one (default 8). */
  maxQueued?: number;
}

export const PLAN_DEFAULTS: Required<PlannerOptions> = { timeoutMs: 300_000, maxFleetBytes: 64 * 1024 * 1024, maxMemoryMb: 4096, maxQueued: 8 };

interface Task {
  id: number;
  work: Work;
  resolve(answer: Answered): void;
  reject(err: Error): void;
}

/** Under tsx (tests, `npm run` scripts) the worker is TypeScript and needs tsx's loader; built, it is plain JavaScript. */
function startWorker(maxMemoryMb: number): Worker {
  const resourceLimits = { maxOldGenerationSizeMb: maxMemoryMb };
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./plan-worker.js', import.meta.url), { resourceLimits });
  const entry = new URL('./plan-worker.ts', import.meta.url).href;
  return new Worker(`import('tsx/esm/api').then((api) => api.register()).then(() => import(${JSON.stringify(entry)}))`, { eval: true, resourceLimits });
}

export class Planner {
  private readonly o: Required<PlannerOptions>;
  private worker?: Worker;
  private readonly queue: Task[] = [];
  private running?: { task: Task; timer: NodeJS.Timeout };
  private nextId = 1;
  private closed = false;

  constructor(options: PlannerOptions = {}) {
    this.o = { ...PLAN_DEFAULTS, ...options };
  }

  /**
   * POST /v1/plan's body, parsed, checked and planned in the worker: the plan's JSON, ready to
   * send, or — for a plan with a site (a staged rollout's stages are the controller's to work out) — the plan whole.
   */
  async planBody(body: Uint8Array, context: PlanContext): Promise<{ json: Uint8Array } | { planned: PlannedFleet; site: string }> {
    const a = await this.submit({ body, context, maxFleetBytes: this.o.maxFleetBytes });
    return 'json' in a ? { json: a.json } : { planned: a.planned, site: a.site! };
  }

  /** The plan with what an apply keeps. */
  async plan(job: PlanJob): Promise<PlannedFleet> {
    // The fleet's own files, as the body path counts them (plan-worker.ts).
    const bytes = job.sources.reduce((n, s) => n + Buffer.byteLength(s.text), 0);
    if (bytes > this.o.maxFleetBytes) throw tooLarge(bytes, this.o.maxFleetBytes);
    const a = await this.submit({ job });
    if (!('planned' in a)) throw new HafenError('HAFEN_INTERNAL', 'the plan worker answered without the plan');
    return a.planned;
  }

  /** Stops the worker now; plans running or waiting fail with HAFEN_CONTROLLER_STOPPING. */
  async close(): Promise<void> {
    this.closed = true;
    const stopping = () => new HafenError('HAFEN_CONTROLLER_STOPPING', 'the controller is stopping; nothing was changed');
    for (const t of this.queue.splice(0)) t.reject(stopping());
    if (this.running) this.fail(stopping());
    await this.worker?.terminate();
    this.worker = undefined;
  }

  private submit(work: Work): Promise<Answered> {
    if (this.closed) return Promise.reject(new HafenError('HAFEN_CONTROLLER_STOPPING', 'the controller is stopping; nothing was changed'));
    if (this.queue.length >= this.o.maxQueued) {
      return Promise.reject(new HafenError('HAFEN_PLAN_BUSY', `${this.queue.length + 1} plans or applies are under way or waiting; try again shortly`));
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, work, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    if (this.running || this.closed) return;
    const task = this.queue.shift();
    if (!task) {
      // Idle: a worker waiting for work keeps no process alive.
      this.worker?.unref();
      return;
    }
    const worker = this.ensureWorker();
    worker.ref();
    const timer = setTimeout(() => this.fail(new HafenError('HAFEN_PLAN_TIMEOUT', `planning took longer than ${this.o.timeoutMs >= 1000 ? `${Math.round(this.o.timeoutMs / 1000)} s` : `${this.o.timeoutMs} ms`} and was stopped (controller --plan-timeout); nothing was changed`)), this.o.timeoutMs);
    this.running = { task, timer };
    const request: PlanRequest = { id: task.id, ...task.work };
    // The body's bytes move to the worker rather than being copied (when the buffer is its own).
    const body = 'body' in task.work ? task.work.body : undefined;
    const transfer = body && body.byteOffset === 0 && body.byteLength === body.buffer.byteLength ? [body.buffer as ArrayBuffer] : [];
    try {
      worker.postMessage(request, transfer);
    } catch (err) {
      // A job that cannot cross to the worker (a bug: something in it is not data) fails alone; the next one runs.
      clearTimeout(timer);
      this.running = undefined;
      task.reject(new HafenError('HAFEN_INTERNAL', `the plan could not be handed to the worker: ${(err as Error).message}`));
      this.pump();
    }
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = startWorker(this.o.maxMemoryMb);
    worker.on('message', (a: PlanAnswer) => {
      const r = this.running;
      if (!r || r.task.id !== a.id) return;
      clearTimeout(r.timer);
      this.running = undefined;
      if (a.ok) r.task.resolve(a);
      else r.task.reject(new HafenError(a.error.code as ErrorCode, a.error.message, a.error.details !== undefined ? { details: a.error.details } : {}));
      this.pump();
    });
    worker.on('error', (err: Error & { code?: string }) => {
      if (this.worker !== worker) return;
      const memory = err.code === 'ERR_WORKER_OUT_OF_MEMORY';
      if (!this.running) {
        this.worker = undefined;
        void worker.terminate();
        return;
      }
      this.fail(
        memory
          ? new HafenError('HAFEN_PLAN_TOO_LARGE', `planning the fleet needed more than the ${this.o.maxMemoryMb} MB the controller gives it (controller --plan-memory); nothing was changed`)
          : new HafenError('HAFEN_INTERNAL', `the plan worker failed: ${err.message}`),
      );
    });
    // A worker this planner stopped is no longer its own (fail() let go of it first): only an unexpected exit fails the running plan.
    worker.on('exit', () => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      if (this.running) this.fail(new HafenError('HAFEN_INTERNAL', 'the plan worker stopped'));
    });
    this.worker = worker;
    return worker;
  }

  /** Ends the running task with `err`; its worker is stopped (it may be mid-computation) and the next task gets a fresh one. */
  private fail(err: Error): void {
    const r = this.running;
    if (!r) return;
    clearTimeout(r.timer);
    this.running = undefined;
    r.task.reject(err);
    const worker = this.worker;
    this.worker = undefined;
    void worker?.terminate().finally(() => this.pump());
    if (!worker) this.pump();
  }
}

