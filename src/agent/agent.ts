/**
 * The agent loop: long-poll the controller for this host's desired state, hand it to the
 * driver, report what runs. The last desired state is kept on disk and applied at start, so
 * a host keeps running (and comes back after a reboot) while the controller is unreachable.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { join } from 'node:path';
import type { HafenClient, RepositorySpaceReport } from '../client/client.js';
import { HafenError } from '../lib/errors.js';
import type { HostDesiredState } from '../core/render/desired.js';
import type { MoveAgentReport } from '../core/report/host-report.js';
import { bindPublishedPorts } from '../core/render/compose.js';
import { writeFileAtomic } from '../lib/fs.js';
import { httpRequest } from '../lib/http.js';
import { BackupScheduler } from './backup/scheduler.js';
import { ensureAgentKey, installAuthorizedKeys, type AgentKey } from './backup/ssh.js';
import { FirewallKeeper } from './firewall.js';
import { installMoveAccess, moveAuthorizedKeys } from './move/access.js';
import { MoveCopier } from './move/copier.js';
import { Fencer } from './standby/fence.js';
import type { Driver } from './drivers/driver.js';

export interface AgentOptions {
  client: HafenClient;
  driver: Driver;
  stateDir: string;
  /** Address processes should listen on (HAFEN_ADDRESS), e.g. this host's loopback address in a demo. */
  address?: string;
  /** Seconds a long-poll waits for a change. */
  waitSeconds?: number;
  heartbeatMs?: number;
  log?: (line: string) => void;
  /** This host's name (the comment of its ssh key). */
  host?: string;
  /** On a backup host: the restic user's authorized_keys file, kept to the keys the controller lets in. */
  authorizedKeys?: string;
  /** Where restores and restore drills put their files (default `<state>/restores`). */
  scratchDir?: string;
  /** On a backup host: the directory holding the repositories; its disk's size and free space are reported. */
  repositories?: string;
  /** Apply the host's firewall (table inet hafen) from the desired state, with commit-confirm (firewall.ts). */
  firewall?: boolean;
  /** The authorized_keys file sshd reads for the move user: kept to the keys of moves away from this host (move/access.ts). */
  moveAuthorizedKeys?: string;
}

/** The size and free space of the disk holding `path` (bytes); an error instead when it cannot be read. */
async function repositorySpace(path: string): Promise<RepositorySpaceReport> {
  try {
    const s = await statfs(path);
    return { path, total: s.blocks * s.bsize, free: s.bavail * s.bsize };
  } catch (err) {
    return { path, error: (err as NodeJS.ErrnoException).code ?? (err as Error).message };
  }
}

/** The copier's report with a self-replicating driver's streams (postgres) among the copies. */
function withStreams(moves: MoveAgentReport | undefined, streams: MoveAgentReport['copies']): MoveAgentReport | undefined {
  if (streams.length === 0) return moves;
  return { keys: moves?.keys ?? [], copies: [...(moves?.copies ?? []), ...streams] };
}

/** Longest a backup hook command may run. */
const HOOK_TIMEOUT_MS = 30 * 60_000;

/** Longest wait between attempts to reach the controller. */
const MAX_BACKOFF_MS = 5000;

interface Cached {
  hash: string;
  state: HostDesiredState;
}

export class Agent {
  private running = false;
  private hash?: string;
  private state?: HostDesiredState;
  private heartbeat?: NodeJS.Timeout;
  private reportFailing = false;
  private followUps: NodeJS.Timeout[] = [];
  private inFlight?: Promise<void>;
  private queued?: Promise<void>;
  private readonly log: (line: string) => void;
  private backups?: BackupScheduler;
  /** The driver's apply under way, if any. */
  private applying?: Promise<void>;
  /** The ssh key this agent signs in to backup hosts with (undefined without ssh-keygen). */
  private key?: AgentKey;
  private accessWarned = false;
  /** The firewall keeper (with --firewall). */
  private firewall?: FirewallKeeper;
  private firewallWarned = false;
  /** A cutover's target side: keys and copies (move/copier.ts). */
  private readonly copier: MoveCopier;
  /** Standby apps: the term each unit writes in, and cut-off writers' data kept aside (standby/fence.ts). */
  private readonly fencer: Fencer;
  private moveAccessWarned = false;

  constructor(private readonly opts: AgentOptions) {
    this.log = opts.log ?? (() => {});
    mkdirSync(opts.stateDir, { recursive: true });
    this.fencer = new Fencer({ stateDir: opts.stateDir, driver: opts.driver, log: this.log });
    this.copier = new MoveCopier({ stateDir: opts.stateDir, driver: opts.driver, log: this.log, changed: () => void this.reportQuietly() });
  }

  private get cachePath(): string {
    return join(this.opts.stateDir, 'desired.json');
  }

  /** Applies the cached desired state, then follows the controller until stop(). */
  async start(): Promise<void> {
    this.running = true;
    this.key = await ensureAgentKey(this.opts.stateDir, this.opts.host ?? 'host', this.log);
    if (this.opts.firewall) {
      const healthz = new URL('/healthz', this.opts.client.baseUrl);
      this.firewall = new FirewallKeeper({
        stateDir: this.opts.stateDir,
        log: this.log,
        // A new connection: one made before the change would pass as established and prove nothing.
        reach: async () => {
          const ca = this.opts.client.ca;
          const res = await httpRequest(healthz, { timeoutMs: 3000, newConnection: true, ...(ca !== undefined ? { ca } : {}) });
          if (res.status !== 200) throw new Error(`the controller answered ${res.status}`);
        },
      });
      // A change a crash left unconfirmed is confirmed or undone (in the background).
      void this.firewall.recover();
    }
    try {
      const cached = JSON.parse(readFileSync(this.cachePath, 'utf8')) as Cached;
      await this.applyState(cached.state);
      this.hash = cached.hash;
      this.state = cached.state;
      this.log(`applied the cached desired state (revision ${cached.state.revision}) while connecting`);
    } catch {
      // No cache yet: nothing to run until the controller answers.
    }
    this.heartbeat = setInterval(() => void this.reportQuietly(), this.opts.heartbeatMs ?? 5000);
    void this.follow();
  }

  private async applyState(state: HostDesiredState): Promise<void> {
    // The host's address: processes get it as HAFEN_ADDRESS, compose projects publish their ports on it.
    const address = this.opts.address;
    const units = state.units.map((u) =>
      !address ? u : u.process ? { ...u, process: { ...u.process, env: { ...u.process.env, HAFEN_ADDRESS: address } } } : u.compose ? { ...u, compose: bindPublishedPorts(u.compose, address) } : u,
    );
    // Fencing (standby/fence.ts): a writer cut off while its app failed over is stopped by this
    // apply, and its data kept aside before a copy from the new writer may overwrite it. No
    // copy runs into a unit that is about to write.
    const demoted = this.fencer.demoted(state.units);
    const writers = new Set(state.units.filter((u) => u.standby?.role !== 'standby').map((u) => u.name));
    await this.copier.release(writers);
    const applying = this.opts.driver.apply(units);
    this.applying = applying;
    try {
      await applying;
    } finally {
      if (this.applying === applying) this.applying = undefined;
    }
    let asideFailed = false;
    for (const u of demoted) {
      try {
        await this.fencer.keepAside(u, new Date());
      } catch (err) {
        // Its data is not copied over until it is kept aside (the next apply tries again).
        asideFailed = true;
        writers.add(u.name);
        this.log(`fencing ${u.name}: could not keep its data aside: ${(err as Error).message}; no copy from the new writer overwrites it until it is`);
      }
    }
    if (!asideFailed) await this.fencer.record(state.units);
    // A driver that replicates itself (postgres) may now rebuild the standbys whose data is not a writer's.
    this.opts.driver.allowRebuild?.(new Set(state.units.filter((u) => u.standby?.role === 'standby' && !writers.has(u.name)).map((u) => u.name)));
    this.scheduleBackups(state);
    this.keepFirewall(state);
    await this.grantBackupAccess(state);
    await this.keepMoves(state, writers);
  }

  /** Moves between hosts and standbys' copies: the copies this host makes as a target (never into `writers`), the keys it lets in as a source. */
  private async keepMoves(state: HostDesiredState, writers: ReadonlySet<string>): Promise<void> {
    await this.copier.set(state.moveCopies ?? [], writers);
    const grants = state.moveAccess ?? [];
    if (!this.opts.moveAuthorizedKeys) {
      if (grants.length && !this.moveAccessWarned) this.log(`an app moves away from this host, but the agent has no --move-authorized-keys file to let the target's agent copy its data: the move fails`);
      this.moveAccessWarned = grants.length > 0;
      return;
    }
    const resolved: { grant: (typeof grants)[number]; path: string }[] = [];
    for (const grant of grants) {
      const path = (await this.opts.driver.moveVolumes({ name: grant.unit }, [grant.volume], false).catch(() => [])).find((v) => v.name === grant.volume)?.path;
      if (path) resolved.push({ grant, path });
      else this.log(`move ${grant.migration}: ${grant.unit} has no volume "${grant.volume}" on this host to let the target copy`);
    }
    const { text, refused } = moveAuthorizedKeys(resolved);
    if (refused.length) this.log(`move access: refused unsafe grants ${refused.join(', ')}`);
    try {
      if (await installMoveAccess(this.opts.moveAuthorizedKeys, text)) this.log(`move access: ${resolved.length - refused.length} key(s) in ${this.opts.moveAuthorizedKeys}`);
    } catch (err) {
      this.log(`move access: could not write ${this.opts.moveAuthorizedKeys}: ${(err as Error).message}`);
    }
  }

  /** The host's firewall, with --firewall (applied in the background; firewall.ts confirms or undoes it). */
  private keepFirewall(state: HostDesiredState): void {
    if (!state.firewall) return;
    if (this.firewall) void this.firewall.want(state.firewall);
    else if (!this.firewallWarned) {
      this.log('the fleet renders a firewall for this host, but the agent runs without --firewall: it is not applied');
      this.firewallWarned = true;
    }
  }

  /** On a backup host: the restic user's authorized_keys holds exactly the keys the controller lets in. */
  private async grantBackupAccess(state: HostDesiredState): Promise<void> {
    const keys = state.backupAccess ?? [];
    if (!this.opts.authorizedKeys) {
      if (keys.length && !this.accessWarned) this.log(`this host keeps backup repositories for ${keys.length} agent(s), but the agent has no --authorized-keys file to let them in`);
      this.accessWarned = keys.length > 0;
      return;
    }
    try {
      if (await installAuthorizedKeys(this.opts.authorizedKeys, keys)) this.log(`backup access: ${keys.length} agent key(s) in ${this.opts.authorizedKeys} (${keys.map((k) => k.host).join(', ') || 'none'})`);
    } catch (err) {
      this.log(`backup access: could not write ${this.opts.authorizedKeys}: ${(err as Error).message}`);
    }
  }

  /** The host's backup jobs run on their schedules from now on (scheduler made on the first job). */
  private scheduleBackups(state: HostDesiredState): void {
    if (!state.backups?.length && !state.backupTasks?.length && !this.backups) return;
    this.backups ??= new BackupScheduler({
      stateDir: this.opts.stateDir,
      host: state.host,
      dataPaths: async (job) => {
        const unit = this.state?.units.find((u) => u.name === job.unit);
        return unit ? this.opts.driver.dataPaths(unit, job.volumes) : [];
      },
      exec: (job, argv, service) => this.opts.driver.exec({ name: job.unit }, argv, { ...(service ? { service } : {}), timeoutMs: HOOK_TIMEOUT_MS }),
      hold: (job) => this.opts.driver.hold({ name: job.unit }),
      report: (runs) => this.opts.client.reportBackups(runs),
      reportTasks: (tasks) => this.opts.client.reportBackupTasks(tasks),
      ...(this.opts.scratchDir ? { scratchDir: this.opts.scratchDir } : {}),
      log: this.log,
      ...(this.key ? { ssh: this.key } : {}),
    });
    this.backups.setJobs(state.backups ?? []);
    this.backups.setTasks(state.backupTasks ?? []);
  }


  private async follow(): Promise<void> {
    let backoff = 500;
    while (this.running) {
      try {
        const res = await this.opts.client.desired(this.hash, this.opts.waitSeconds ?? 25);
        if (!this.running) return;
        if (res.hash !== this.hash) {
          await this.applyState(res.state);
          this.hash = res.hash;
          this.state = res.state;
          this.log(`applied revision ${res.revision}: ${res.state.units.length} unit(s)`);
          // The report need not wait for the fsync of the cache (a hundred fsyncs queue up on a disk).
          // 0600: the state carries this host's secret values.
          await Promise.all([writeFileAtomic(this.cachePath, JSON.stringify({ hash: res.hash, state: res.state }), 0o600), this.reportQuietly()]);
          // Units that just started are rarely healthy yet: with health checks, report again soon rather than at the next heartbeat.
          if (res.state.units.some((u) => u.health)) this.followUp();
        }
        backoff = 500;
      } catch (err) {
        if (!this.running) return;
        if (this.replaced(err)) return;
        this.log(`controller: ${(err as Error).message}; retrying in ${backoff} ms`);
        // Jittered so a hundred agents do not return in step; capped low, since catching up fast matters more than a few requests.
        await new Promise((r) => setTimeout(r, backoff * (0.75 + Math.random() / 2)));
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      }
    }
  }

  /**
   * The host joined again with another agent (hafen host join, by an admin): this one no longer
   * speaks for it. It says so once and stops following the controller; its units keep running
   * until the new agent takes them over.
   */
  private replaced(err: unknown): boolean {
    if (!(err instanceof HafenError) || err.code !== 'HAFEN_AUTH_REPLACED') return false;
    if (this.running) {
      this.log(`${err.message}; this agent stops following the controller (its units keep running)`);
      void this.stop();
    }
    return true;
  }

  /** Two extra reports after an apply (1 s and 3 s), so health shows up without waiting for the heartbeat. */
  private followUp(): void {
    for (const t of this.followUps) clearTimeout(t);
    this.followUps = [1000, 3000].map((ms) => setTimeout(() => void this.reportQuietly(), ms).unref());
  }

  /** Reports, logging only when reporting starts or stops failing (not every heartbeat while the controller is away). */
  private async reportQuietly(): Promise<void> {
    try {
      await this.report();
      if (this.reportFailing) this.log('status reports reach the controller again');
      this.reportFailing = false;
    } catch (err) {
      if (this.replaced(err)) return;
      if (!this.reportFailing) this.log(`status report failed: ${(err as Error).message}; retrying with the next heartbeat`);
      this.reportFailing = true;
    }
  }

  /**
   * Sends the driver's view of every unit, with its health and the desired-state hash applied.
   * Reports go one at a time: a heartbeat that left before an apply must not arrive after the
   * apply's report and make the host look behind again. A report asked for while one is in
   * flight is sent right after it, with the state as it is then.
   */
  report(): Promise<void> {
    if (!this.inFlight) {
      this.inFlight = this.sendReport().finally(() => {
        this.inFlight = undefined;
      });
      return this.inFlight;
    }
    this.queued ??= this.inFlight
      .catch(() => {})
      .then(() => {
        this.queued = undefined;
        return this.report();
      });
    return this.queued;
  }

  private async sendReport(): Promise<void> {
    const units = await this.opts.driver.status();
    const byName = new Map((this.state?.units ?? []).map((u) => [u.name, u]));
    const reports = await Promise.all(
      units.map(async (u) => {
        const want = byName.get(u.name);
        if (u.state !== 'running' || !want?.health || want.port === undefined) return u;
        return { ...u, healthy: await this.probe(want.port, want.health.path, want.health.expectStatus) };
      }),
    );
    const space = this.opts.repositories ? await repositorySpace(this.opts.repositories) : undefined;
    await this.firewall?.check();
    const firewall = this.firewall?.report();
    const moves = withStreams(this.copier.report(), this.opts.driver.copies?.() ?? []);
    const fenced = this.fencer.report();
    await this.opts.client.reportStatus(reports, this.hash, { driver: this.opts.driver.kind, ...(this.opts.address ? { address: this.opts.address } : {}), ...(this.key ? { sshKey: this.key.publicKey } : {}), ...(space ? { repositories: space } : {}), ...(firewall ? { firewall } : {}), ...(moves ? { moves } : {}), ...(fenced ? { fenced } : {}) });
  }

  /** One HTTP health check of a unit on this host. */
  private async probe(port: number, path: string, expect: number): Promise<boolean> {
    try {
      const res = await httpRequest(new URL(`http://${this.opts.address ?? '127.0.0.1'}:${port}${path}`), { timeoutMs: 2000 });
      return res.status === expect;
    } catch {
      return false;
    }
  }

  /** Stops every unit (after stop(), for demos and tests that must leave nothing running). */
  async stopUnits(): Promise<void> {
    await this.opts.driver.stopAll();
  }

  /** Stops following the controller; units keep running (the driver is detached, not stopped). */
  async stop(): Promise<void> {
    this.running = false;
    clearInterval(this.heartbeat);
    for (const t of this.followUps) clearTimeout(t);
    // A long-poll in flight ends on its own (its timeout) and no longer applies anything; an
    // apply under way finishes first, so stopUnits() after stop() sees every unit it started.
    await this.applying?.catch(() => {});
    await this.backups?.stop();
    this.copier.stop();
    this.firewall?.stop();
    await this.opts.driver.detach();
  }
}
