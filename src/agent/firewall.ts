/**
 * The host's firewall (table inet hafen), applied with commit-confirm, for agents started
 * with --firewall. A new ruleset is applied only after the running one is saved; then the
 * agent must reach the controller over a new connection (a connection made before the change
 * would pass as "established" and prove nothing) within the ruleset's confirm time, or it
 * restores the saved ruleset by itself. A ruleset that was rolled back is not tried again
 * until the controller sends another one. What is pending survives a crash: an agent that
 * restarts with an unconfirmed ruleset confirms it or restores the saved one when its time is
 * up. Every outcome is reported in the agent's status (`agent.firewall`), and so is drift: the
 * live table is listed every heartbeat and compared with its listing when it was confirmed.
 * A drifted table is reported, not touched, until the agent next applies its desired state (at
 * a start, or when the controller sends a new one): then a confirmed ruleset whose table is
 * gone (a reboot) or changed is applied again.
 *
 * Only hafen's own table is ever touched (the scripts create, delete and recreate it in one
 * nft transaction), so Docker's and anybody else's tables stay as they are.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { FirewallReportBody } from '../client/client.js';
import { writeFileAtomic } from '../lib/fs.js';

/** What became of the newest ruleset (the agent's status carries it as `agent.firewall`). */
export type FirewallReport = FirewallReportBody;

export interface FirewallWanted {
  script: string;
  hash: string;
  confirmMs: number;
  /** A new generation asks for the ruleset to be applied again, even if it was rolled back or is confirmed. */
  generation?: number;
}

interface Pending {
  hash: string;
  generation?: number;
  appliedAt: number;
  deadline: number;
  /** `nft list table inet hafen` before the change; null when there was no table. */
  previous: string | null;
}

export interface FirewallOptions {
  stateDir: string;
  /** Resolves when the controller answers over a new connection; rejects otherwise. */
  reach(): Promise<void>;
  log(line: string): void;
  /** The nft binary (default nft on PATH). */
  nft?: string;
}

const TABLE = 'inet hafen';
/** The re-apply generation a report carries (none: never asked again). */
const gen = (x: { generation?: number }) => (x.generation ? { generation: x.generation } : {});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class FirewallKeeper {
  private readonly dir: string;
  private last?: FirewallReport;
  private work: Promise<void> = Promise.resolve();
  private stopped = false;
  /** A change is being applied or confirmed (drift checks wait). */
  private busy = false;

  constructor(private readonly opts: FirewallOptions) {
    this.dir = join(opts.stateDir, 'firewall');
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    try {
      this.last = JSON.parse(readFileSync(join(this.dir, 'last.json'), 'utf8')) as FirewallReport;
    } catch {
      this.last = undefined;
    }
  }

  /** What became of the newest ruleset (for the status report). */
  report(): FirewallReport | undefined {
    return this.last;
  }

  /** An apply that a crash left unconfirmed: confirmed now, or the saved ruleset restored when its time is up. */
  recover(): Promise<void> {
    const pending = this.pending();
    if (pending) {
      this.opts.log(`firewall: ruleset ${pending.hash.slice(0, 12)} was applied but not confirmed before the agent stopped; confirming it now`);
      this.work = this.work.then(async () => {
        this.busy = true;
        try {
          await this.confirmOrRestore(pending);
        } finally {
          this.busy = false;
        }
      });
    }
    return this.work;
  }

  /** Applies `fw` (in the background, one change at a time) unless it runs already or was rolled back. */
  want(fw: FirewallWanted): Promise<void> {
    this.work = this.work.then(() => this.apply(fw)).catch((err: unknown) => this.opts.log(`firewall: ${(err as Error).message}`));
    return this.work;
  }

  /**
   * Stops waiting: a change still being confirmed stays pending on disk (the saved ruleset with
   * it), and the next start confirms or undoes it.
   */
  stop(): void {
    this.stopped = true;
  }

  /**
   * Compares the live table with its listing when the newest ruleset was confirmed and says
   * whether it drifted (for the status report); no check while a change is under way.
   */
  async check(): Promise<void> {
    const last = this.last;
    if (this.busy || last?.state !== 'confirmed' || !last.liveDigest) return;
    const drifted = (await this.liveDigest()) !== last.liveDigest;
    if (drifted !== last.drifted && this.last === last) {
      if (drifted) this.opts.log(`firewall: the live table differs from ruleset ${last.hash.slice(0, 12)} as it was confirmed (changed by hand or by another tool); it is applied again at the agent's next start or with hafen firewall reapply`);
      this.last = { ...last, drifted };
    }
  }

  /** sha256 of the live table's listing; null when there is no table. */
  private async liveDigest(): Promise<string | null> {
    const listed = await this.nft(['list', 'table', ...TABLE.split(' ')]);
    return listed.code === 0 ? createHash('sha256').update(listed.stdout).digest('hex') : null;
  }

  private pending(): Pending | undefined {
    try {
      return JSON.parse(readFileSync(join(this.dir, 'pending.json'), 'utf8')) as Pending;
    } catch {
      return undefined;
    }
  }

  private async settle(report: FirewallReport): Promise<void> {
    this.last = report;
    await writeFileAtomic(join(this.dir, 'last.json'), `${JSON.stringify(report)}\n`);
  }

  private async apply(fw: FirewallWanted): Promise<void> {
    if (this.stopped) return;
    // The controller asks for this ruleset again (hafen firewall reapply): whatever became of it before.
    const again = this.last?.hash === fw.hash && (fw.generation ?? 0) !== (this.last.generation ?? 0);
    if (again) this.opts.log(`firewall: the controller asks for ruleset ${fw.hash.slice(0, 12)} again (generation ${fw.generation ?? 0}); applying it`);
    if (!again && this.last?.hash === fw.hash && this.last.state === 'rolled-back') return;
    if (!again && this.last?.hash === fw.hash && this.last.state === 'confirmed') {
      // Confirmed before: applied again only when the live table is gone (a reboot) or drifted.
      if ((await this.liveDigest()) === this.last.liveDigest) return;
      this.opts.log(`firewall: the live table is not ruleset ${fw.hash.slice(0, 12)} as confirmed (a reboot, or changed since); applying it again`);
    }
    this.busy = true;
    try {
      await this.change(fw);
    } finally {
      this.busy = false;
    }
  }

  private async change(fw: FirewallWanted): Promise<void> {
    const listed = await this.nft(['list', 'table', ...TABLE.split(' ')]);
    const previous = listed.code === 0 ? listed.stdout : null;
    const now = Date.now();
    const pending: Pending = { hash: fw.hash, ...(fw.generation ? { generation: fw.generation } : {}), appliedAt: now, deadline: now + fw.confirmMs, previous };
    await writeFileAtomic(join(this.dir, 'pending.json'), JSON.stringify(pending));
    const applied = await this.nft(['-f', '-'], fw.script);
    if (applied.code !== 0) {
      rmSync(join(this.dir, 'pending.json'), { force: true });
      const error = `nft refused the ruleset, nothing changed: ${applied.stderr.trim().split('\n').slice(-3).join(' / ')}`;
      this.opts.log(`firewall: ${error}`);
      await this.settle({ hash: fw.hash, ...gen(fw), state: 'failed', at: new Date().toISOString(), error });
      return;
    }
    this.opts.log(`firewall: ruleset ${fw.hash.slice(0, 12)} applied; reaching the controller within ${fw.confirmMs / 1000} s keeps it`);
    this.last = { hash: fw.hash, ...gen(fw), state: 'confirming', at: new Date().toISOString() };
    await this.confirmOrRestore(pending);
  }

  /** Tries to reach the controller until the deadline (at least once, also after a restart past it); restores the saved ruleset when it cannot. */
  private async confirmOrRestore(p: Pending): Promise<void> {
    for (let first = true; first || Date.now() < p.deadline; first = false) {
      if (this.stopped) return;
      try {
        await this.opts.reach();
        rmSync(join(this.dir, 'pending.json'), { force: true });
        const confirmSeconds = (Date.now() - p.appliedAt) / 1000;
        this.opts.log(`firewall: ruleset ${p.hash.slice(0, 12)} confirmed (the controller answered ${confirmSeconds.toFixed(1)} s after it was applied)`);
        const liveDigest = await this.liveDigest();
        await this.settle({ hash: p.hash, ...gen(p), state: 'confirmed', at: new Date().toISOString(), confirmSeconds, ...(liveDigest ? { liveDigest } : {}) });
        return;
      } catch {
        await sleep(Math.max(0, Math.min(1000, p.deadline - Date.now())));
      }
    }
    const back = `table ${TABLE}\ndelete table ${TABLE}\n${p.previous ?? ''}`;
    const restored = await this.nft(['-f', '-'], back);
    rmSync(join(this.dir, 'pending.json'), { force: true });
    const seconds = Math.round((p.deadline - p.appliedAt) / 1000);
    const error =
      restored.code === 0
        ? `the controller could not be reached over a new connection within ${seconds} s after applying ruleset ${p.hash.slice(0, 12)}; the previous ruleset is back${p.previous === null ? ' (there was none: hafen\'s table is gone)' : ''}`
        : `the controller could not be reached within ${seconds} s after applying ruleset ${p.hash.slice(0, 12)}, and restoring the previous one FAILED: ${restored.stderr.trim()}`;
    this.opts.log(`firewall: ${error}`);
    await this.settle({ hash: p.hash, ...gen(p), state: 'rolled-back', at: new Date().toISOString(), error });
  }

  private nft(args: string[], input?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn(this.opts.nft ?? 'nft', args, { stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', (e) => resolve({ code: null, stdout, stderr: `${stderr}${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'nft is not installed (apt install nftables)' : e.message}` }));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
      // nft may exit before it reads its input (a command that takes none, or an error): the
      // broken pipe is no failure of ours; the exit status says what happened.
      child.stdin.on('error', () => {});
      child.stdin.end(input ?? '');
    });
  }
}
