/**
 * Which revision each host follows: the newest, unless it is held at an earlier one (a staged
 * rollout has not reached it yet, or sent it back). Earlier revisions are rendered on demand
 * and the last few kept; a held host's desired state is its hold's revision's, rendered with
 * today's secret versions.
 */
import type { HostDesiredState } from '../core/render/desired.js';
import { hostStateHash } from '../core/render/desired.js';
import type { HostHold, Store } from './store/store.js';

/** Rendered earlier revisions kept (a rollout holds hosts at one or two of them). */
const KEEP = 4;

export interface HeadState {
  revision: number;
  desired: ReadonlyMap<string, HostDesiredState>;
  hashes: ReadonlyMap<string, string>;
}

export interface HostBase {
  state: HostDesiredState;
  hash: string;
  /** The revision the host is held at (undefined: it follows the newest). */
  heldAt?: number;
}

export class Holds {
  private cached?: Promise<Map<string, HostHold>>;
  private readonly rendered = new Map<number, Promise<Map<string, HostDesiredState>>>();

  constructor(
    private readonly store: Store,
    /** Renders an earlier revision (with today's secret versions). */
    private readonly renderRevision: (revision: number) => Promise<Map<string, HostDesiredState>>,
  ) {}

  /** Holds by host (read from the store once, again after `changed`). */
  all(): Promise<Map<string, HostHold>> {
    this.cached ??= this.store.holds().then((hs) => new Map(hs.map((h) => [h.host, h])));
    // A failed read is not kept: the next call tries again.
    this.cached.catch(() => (this.cached = undefined));
    return this.cached;
  }

  /** The holds changed in the store. */
  changed(): void {
    this.cached = undefined;
  }

  /** Secret versions changed: earlier revisions render differently now. */
  secretsChanged(): void {
    this.rendered.clear();
  }

  /** A revision's desired states (0: none at all). */
  async revisionStates(revision: number): Promise<Map<string, HostDesiredState>> {
    if (revision === 0) return new Map();
    let r = this.rendered.get(revision);
    if (!r) {
      r = this.renderRevision(revision);
      this.rendered.set(revision, r);
      r.catch(() => this.rendered.delete(revision));
      while (this.rendered.size > KEEP) this.rendered.delete(this.rendered.keys().next().value!);
    }
    return r;
  }

  /** What `host` should run now, before restarts and backup orders are added. */
  async baseOf(host: string, head: HeadState | undefined, site = ''): Promise<HostBase> {
    const hold = (await this.all()).get(host);
    if (!head || !hold || hold.revision === head.revision) {
      const state = head?.desired.get(host) ?? empty(host, site, head?.revision ?? 0);
      return { state, hash: head?.hashes.get(host) ?? hostStateHash(state) };
    }
    const state = (await this.revisionStates(hold.revision)).get(host) ?? empty(host, site, hold.revision);
    return { state, hash: hostStateHash(state), heldAt: hold.revision };
  }

  /** The hosts held at an earlier revision than `head`, each with the state it runs (null: nothing); what a plan compares those against. */
  async heldStates(head: HeadState): Promise<Map<string, HostDesiredState | null>> {
    const out = new Map<string, HostDesiredState | null>();
    for (const hold of (await this.all()).values()) {
      if (hold.revision === head.revision) continue;
      const state = (await this.revisionStates(hold.revision)).get(hold.host);
      out.set(hold.host, state && (state.units.length > 0 || state.firewall) ? state : null);
    }
    return out;
  }

  /** Every host's state as it follows its revision (what a plan compares against). */
  async effective(head: HeadState, hosts: readonly { id: string; site: string }[]): Promise<Map<string, HostDesiredState>> {
    const out = new Map(head.desired);
    for (const h of hosts) {
      const base = await this.baseOf(h.id, head, h.site);
      if (base.heldAt === undefined) continue;
      if (base.state.units.length === 0 && !base.state.firewall) out.delete(h.id);
      else out.set(h.id, base.state);
    }
    return out;
  }
}

function empty(host: string, site: string, revision: number): HostDesiredState {
  return { host, site, revision, units: [] };
}
