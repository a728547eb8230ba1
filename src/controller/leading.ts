/**
 * What the leading controller runs: its parts on the store (wiring.ts) (fresh at every election: its
 * in-memory state — host reports, check states, proxy views — starts from the store, as after
 * a restart), the API on the controller's HTTP server, and the reconcilers' timers (monitoring
 * and alerting, notifications, rollouts, moves between sites). A controller that does not lead
 * runs none of it.
 */
import type http from 'node:http';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import type { SecretKey } from './secrets.js';
import { Secrets } from './secrets.js';
import type { PlannerOptions } from './planner.js';
import { wireController } from './wiring.js';
import type { Store } from './store/store.js';

export interface Led {
  handle(req: http.IncomingMessage, res: http.ServerResponse): void;
  /** Stops the timers and ends the long-polls (requests under way finish). */
  halt(): void;
  /** After the server closed: the fastify hooks, then what is only in memory is written (unless `flush` is false: another controller may lead). */
  close(flush: boolean): Promise<void>;
}

export interface LeadOptions {
  store: Store;
  key: SecretKey;
  server: http.Server;
  term: number;
  clock: () => Date;
  logger: boolean;
  warn(line: string): void;
  plans?: PlannerOptions;
}

export async function lead(o: LeadOptions): Promise<Led> {
  const controller = wireController(o.store, new Secrets(o.store, o.key), o.clock, o.warn, o.plans);
  let handle: Led['handle'] = () => undefined;
  const app: FastifyInstance = buildApp(controller, {
    logger: o.logger,
    now: o.clock,
    about: () => ({ role: 'leader', term: o.term }),
    serverFactory: (h) => {
      handle = h;
      return o.server;
    },
  });
  await app.ready();
  // Notifications a stopped leader was sending are given up, not repeated.
  await controller.watch.alerting.recover();
  // Check states change with time too (a prober falls silent, a view goes stale).
  const monitorTimer = setInterval(
    () =>
      void controller.watch
        .evaluate()
        .then(() => controller.watch.deliverNotifications())
        .catch((err: Error) => o.warn(`monitoring: ${err.message}`)),
    1000,
  );
  monitorTimer.unref();
  // A staged rollout moves on (or back) as its hosts report; its state is in the store, so a restart carries on.
  // Moves between sites: proposals are reminded and expire, accepted live moves run; their state is in the store too.
  const rolloutTimer = setInterval(() => {
    void controller.rollouts.tick().catch((err: Error) => o.warn(`rollout: ${err.message}`));
    void controller.moves.tick().catch((err: Error) => o.warn(`moves: ${err.message}`));
    // Standby apps: failover when a writer's site is lost, switchovers moving on.
    void controller.standbys.tick().catch((err: Error) => o.warn(`standbys: ${err.message}`));
  }, 1000);
  rolloutTimer.unref();
  return {
    handle: (req, res) => handle(req, res),
    halt: () => {
      clearInterval(monitorTimer);
      clearInterval(rolloutTimer);
      controller.close();
    },
    close: async (flush) => {
      await app.close();
      if (flush) await controller.flush().catch((err: Error) => o.warn(`could not save the last host reports: ${err.message}`));
    },
  };
}
