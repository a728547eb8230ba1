/**
 * The controller's change bus: what changed, so that long-polls compute again what their
 * caller pulls (long-poll.ts). Event names and payloads are types: a listener cannot wait for
 * an event no one sends.
 */
import { EventEmitter } from 'node:events';

export interface ChangeEvents {
  /** What agents pull may differ: a new revision (its number), holds, a secret, a self-healing step, a move's step. */
  revision: [revision?: number];
  /** What proxies pull may differ: a host's address, a site lost or back, a move's overlay. */
  routes: [];
  /** Backup access or orders changed (keys, tasks). */
  backup: [];
  /** A proxy started, moved or stopped listening: what probers pull may differ. */
  proxies: [];
  /** The controller closes: every long-poll answers now. */
  close: [];
}

export type ChangeName = keyof ChangeEvents;

export class ChangeBus {
  private readonly emitter = new EventEmitter();

  constructor() {
    // One listener per waiting long-poll: hundreds of agents, proxies and probers.
    this.emitter.setMaxListeners(0);
  }

  emit<K extends ChangeName>(name: K, ...payload: ChangeEvents[K]): void {
    this.emitter.emit(name, ...payload);
  }

  on<K extends ChangeName>(name: K, listener: (...payload: ChangeEvents[K]) => void): void {
    this.emitter.on(name, listener as (...args: unknown[]) => void);
  }

  off<K extends ChangeName>(name: K, listener: (...payload: ChangeEvents[K]) => void): void {
    this.emitter.off(name, listener as (...args: unknown[]) => void);
  }
}
