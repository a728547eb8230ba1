/**
 * What the agent does with a backup job's repository, one function per operation: back up
 * (hooks around it, then forget by the keep policy, prune when due, copy to the third site),
 * check a part of the data, restore a snapshot into a directory or back into the app, and
 * drill (restore the newest snapshot into scratch space, let restic verify every file, run
 * the app's own verification, measure, remove it again). Every failure is a ResticError with
 * a kind. Only hooks.stop and a restore into the app stop the app, and both start it again
 * whatever happens.
 */
import { spawn } from 'node:child_process';
import { cpSync, lstatSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { BackupTaskResult } from '../../client/client.js';
import type { BackupJob } from '../../core/render/backups.js';
import { keepFlags } from '../../core/retention/policy.js';
import { Restic, ResticError, type BackupSummary, type ResticRepository, type Snapshot } from './restic.js';
import { sshEnvironment, type AgentKey } from './ssh.js';

export interface OperationContext {
  /** The host name snapshots are made under. */
  host: string;
  ssh?: AgentKey;
  resticBinary?: string;
  /** Where the job's data lies on this host now (the driver knows). */
  dataPaths(job: BackupJob): Promise<string[]>;
  /** Runs a hook command for the job's unit (the driver: in its container, or in its data directory). */
  exec?(job: BackupJob, argv: readonly string[], service: string | undefined): Promise<{ code: number | null; output: string }>;
  /** Stops the job's unit; the returned function starts it again. */
  hold?(job: BackupJob): Promise<() => Promise<void>>;
  now(): Date;
}

async function hook(job: BackupJob, ctx: OperationContext, which: 'before' | 'after'): Promise<void> {
  const argv = job.hooks?.[which];
  if (!argv) return;
  if (!ctx.exec) throw new ResticError('hook-failed', `the ${which} hook of ${job.app} cannot run: this agent's driver runs no commands`, null);
  const { code, output } = await ctx.exec(job, argv, job.hooks?.service);
  if (code !== 0) {
    const said = output.trim().split('\n').slice(-3).join(' / ');
    throw new ResticError('hook-failed', `the ${which} hook of ${job.app} ${JSON.stringify(argv.join(' '))} ${code === null ? 'did not run to the end' : `exited ${code}`}${said ? `: ${said}` : ''}`, code);
  }
}

/** A repository of the job (its own, or its copy), opened with its password and, for sftp, this agent's key. */
export function resticFor(job: BackupJob, ctx: Pick<OperationContext, 'ssh' | 'resticBinary'>, which: 'repository' | 'copy' = 'repository'): Restic {
  if (!job.password) throw new ResticError('failed', `no password for the repository of ${job.app} (secret ${job.passwordSecret} not delivered)`, null);
  const ref = which === 'copy' ? job.copy : job.repository;
  if (!ref) throw new ResticError('failed', `${job.app} has no copy repository`, null);
  const endpoints = [job.repository.sftp, job.copy?.sftp].filter((e) => e !== undefined);
  if (endpoints.length && !ctx.ssh) throw new ResticError('failed', `no ssh key to reach the sftp repository of ${job.app}: ssh-keygen did not run on this host (install openssh-client)`, null);
  const env = endpoints.length ? sshEnvironment(ctx.ssh!, endpoints) : {};
  return new Restic(repositoryOf(job, which), { env, ...(ctx.resticBinary ? { binary: ctx.resticBinary } : {}) });
}

function repositoryOf(job: BackupJob, which: 'repository' | 'copy'): ResticRepository {
  return { url: (which === 'copy' ? job.copy! : job.repository).url, password: job.password! };
}

const appTag = (job: BackupJob) => `app:${job.app}`;

/**
 * Creates the repository if new, backs the job's data up, forgets what the keep policy drops
 * (pruning when asked). Around the snapshot: the before hook, the app stopped (hooks.stop) and
 * started again whatever happens, the after hook whatever happens.
 */
export async function backupOnce(job: BackupJob, ctx: OperationContext, prune: boolean): Promise<{ summary: BackupSummary; forgotten: number; pruned: boolean }> {
  const restic = resticFor(job, ctx);
  const paths = [...(await ctx.dataPaths(job)), ...job.paths];
  if (paths.length === 0) throw new ResticError('failed', `nothing to back up for ${job.unit}: it has no data directory or volume on this host yet`, null);
  await restic.init();
  let summary: BackupSummary | undefined;
  let failure: unknown;
  try {
    await hook(job, ctx, 'before');
    summary = await snapshotHeld(job, ctx, () => restic.backup(paths, { host: ctx.host, tags: [appTag(job)] }));
  } catch (err) {
    failure = err;
  }
  // The after hook runs whatever happened; the first failure is the one reported.
  try {
    await hook(job, ctx, 'after');
  } catch (err) {
    failure ??= err;
  }
  if (failure !== undefined || !summary) throw failure;
  const flags = keepFlags(job.keep);
  const doPrune = prune && flags.length > 0;
  const forgot = flags.length > 0 ? await restic.forget([...flags, '--tag', appTag(job)], { host: ctx.host, prune: doPrune }) : { keep: [], remove: [] };
  if (job.copy) await copyOnce(job, ctx, flags, doPrune);
  return { summary, forgotten: forgot.remove.length, pruned: doPrune };
}

/**
 * The copy at a third site: created with the chunker parameters of the job's repository (so
 * copied data deduplicates as it did there), the snapshots it lacks copied over, the same keep
 * policy applied. A failure names the copy repository.
 */
async function copyOnce(job: BackupJob, ctx: OperationContext, flags: string[], prune: boolean): Promise<void> {
  const copy = resticFor(job, ctx, 'copy');
  const source = repositoryOf(job, 'repository');
  await copy.init(source);
  await copy.copyFrom(source, ['--tag', appTag(job)]);
  if (flags.length > 0) await copy.forget([...flags, '--tag', appTag(job)], { host: ctx.host, prune });
}

/** The snapshot, with the app stopped during it when hooks.stop asks; started again whatever happens. */
async function snapshotHeld<T>(job: BackupJob, ctx: OperationContext, take: () => Promise<T>): Promise<T> {
  if (!job.hooks?.stop) return take();
  if (!ctx.hold) throw new ResticError('hook-failed', `${job.app} cannot be stopped for its backup: this agent's driver cannot hold units`, null);
  const resume = await ctx.hold(job);
  let result: { value: T } | undefined;
  let failure: unknown;
  try {
    result = { value: await take() };
  } catch (err) {
    failure = err;
  }
  try {
    await resume();
  } catch (err) {
    // Said first and loudly: the app is down.
    throw new ResticError('hook-failed', `${job.app} could not be started again after its backup: ${(err as Error).message}`, null);
  }
  if (!result) throw failure;
  return result.value;
}

/** restic check, reading part `part` of `parts` of the data. */
export async function checkOnce(job: BackupJob, ctx: OperationContext, part: number, parts: number): Promise<BackupTaskResult> {
  const subset = `${part}/${parts}`;
  const started = ctx.now().getTime();
  await resticFor(job, ctx).check(subset);
  return { subset, seconds: (ctx.now().getTime() - started) / 1000 };
}

/** The app's snapshot `wanted` (an id or its prefix, or "latest"), from any host that ran the job. */
async function findSnapshot(restic: Restic, job: BackupJob, wanted: string): Promise<Snapshot> {
  const snaps = (await restic.snapshots()).filter((s) => s.tags.includes(appTag(job)));
  const found = wanted === 'latest' ? snaps.sort((a, b) => Date.parse(a.time) - Date.parse(b.time)).at(-1) : snaps.find((s) => s.id.startsWith(wanted));
  if (!found) throw new ResticError('failed', wanted === 'latest' ? `the repository of ${job.app} has no snapshot yet` : `the repository of ${job.app} has no snapshot ${wanted}`, null);
  return found;
}

/** Files and bytes under `dir` (regular files; links and directories are not counted). */
export function treeSize(dir: string): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = lstatSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.isFile()) {
        files++;
        bytes += st.size;
      }
    }
  };
  walk(dir);
  return { files, bytes };
}

/** Restores a snapshot (from the job's repository or its copy) into `target` (made; must not exist), restic verifying every restored file. */
export async function restoreInto(job: BackupJob, ctx: OperationContext, wanted: string, target: string, from: 'repository' | 'copy' = 'repository'): Promise<BackupTaskResult & { snapshot: Snapshot }> {
  const restic = resticFor(job, ctx, from);
  const snapshot = await findSnapshot(restic, job, wanted);
  mkdirSync(target, { recursive: true, mode: 0o700 });
  const started = ctx.now().getTime();
  await restic.restore(snapshot.id, target, { verify: true });
  const seconds = (ctx.now().getTime() - started) / 1000;
  return { snapshot, snapshotId: snapshot.id, snapshotTime: snapshot.time, path: target, seconds, ...treeSize(target) };
}

/**
 * A snapshot back into the app: restored and verified in scratch space first (the app still
 * runs), then the app is stopped, each of its data directories that the snapshot holds is
 * moved aside (kept, next to it, as `<dir>.before-restore-<time>`) and replaced by the restored
 * copy, and the app is started again whatever happens. The time it was stopped is measured.
 */
export async function restoreIntoApp(job: BackupJob, ctx: OperationContext, wanted: string, scratch: string, from: 'repository' | 'copy' = 'repository'): Promise<BackupTaskResult> {
  const restored = await restoreInto(job, ctx, wanted, scratch, from);
  try {
    const live = await ctx.dataPaths(job);
    const pairs = live.filter((p) => restored.snapshot.paths.includes(p)).map((p) => ({ live: p, from: join(scratch, p) }));
    if (pairs.length === 0) throw new ResticError('failed', `snapshot ${restored.snapshot.shortId} of ${job.app} holds ${restored.snapshot.paths.join(', ')}, none of which is a data directory of ${job.unit} on this host now (${live.join(', ') || 'none'}): nothing replaced`, null);
    if (!ctx.hold) throw new ResticError('failed', `${job.app} cannot be stopped for a restore: this agent's driver cannot hold units`, null);
    const stamp = ctx.now().toISOString().replace(/[:.]/g, '-');
    const resume = await ctx.hold(job);
    const stopped = ctx.now().getTime();
    const keptAside: string[] = [];
    try {
      for (const { live: dir, from } of pairs) {
        // Moved within its own directory (same filesystem); a volume's mount point stays, its content moves.
        const aside = `${dir}.before-restore-${stamp}`;
        mkdirSync(aside, { mode: 0o700 });
        for (const name of readdirSync(dir)) renameSync(join(dir, name), join(aside, name));
        keptAside.push(aside);
        cpSync(from, dir, { recursive: true, preserveTimestamps: true });
      }
    } catch (err) {
      throw new ResticError('failed', `restoring into ${job.app} failed (${(err as Error).message}); its data from before is kept in ${keptAside.join(', ') || 'place (nothing was moved)'}`, null);
    } finally {
      await resume();
    }
    const { snapshot: _s, path: _p, ...result } = restored;
    return { ...result, downtimeSeconds: (ctx.now().getTime() - stopped) / 1000, keptAside };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Longest a drill's verification command may run. */
const VERIFY_TIMEOUT_MS = 10 * 60_000;

/**
 * A restore drill: the newest snapshot restored into `target`, restic's verification of every
 * file, then the job's own verification command run in the restored copy of the snapshot's
 * first path (HAFEN_RESTORE_ROOT is the whole restore); the time it all took is the RTO shown,
 * the snapshot's age the RPO. The restored copy is removed whatever happens.
 */
export async function drillOnce(job: BackupJob, ctx: OperationContext, target: string): Promise<BackupTaskResult> {
  const started = ctx.now();
  try {
    const restored = await restoreInto(job, ctx, 'latest', target);
    let verifyOutput: string | undefined;
    if (job.drill.verify) {
      const first = restored.snapshot.paths[0];
      verifyOutput = await runVerify(job.drill.verify, first ? join(target, first) : target, target);
    }
    const seconds = (ctx.now().getTime() - started.getTime()) / 1000;
    const dataAgeSeconds = Math.max(0, (started.getTime() - Date.parse(restored.snapshot.time)) / 1000);
    const { snapshot: _snapshot, path: _path, ...result } = restored;
    return { ...result, seconds, dataAgeSeconds, ...(verifyOutput !== undefined ? { verifyOutput } : {}) };
  } finally {
    rmSync(target, { recursive: true, force: true });
  }
}

/** Runs the drill's verification; resolves its last output lines, rejects (kind "failed") on a non-zero exit or timeout. */
function runVerify(argv: readonly string[], cwd: string, root: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { cwd, env: { ...process.env, HAFEN_RESTORE_ROOT: root }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const keep = (d: Buffer) => (out = (out + d.toString()).slice(-4000));
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => child.kill('SIGKILL'), VERIFY_TIMEOUT_MS);
    const tail = () => out.trim().split('\n').slice(-5).join('\n');
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new ResticError('failed', `the drill's verification ${JSON.stringify(argv.join(' '))} could not start: ${(e as NodeJS.ErrnoException).code ?? e.message}`, null));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(tail());
      else reject(new ResticError('failed', `the drill's verification ${JSON.stringify(argv.join(' '))} ${signal ? `was killed (${signal}, over ${VERIFY_TIMEOUT_MS / 60_000} min)` : `exited ${code}`}: ${tail() || 'no output'}`, code));
    });
  });
}
