/**
 * `hafen backup run|restore|drill|check APP`: asks the agent of the app's backup host for a
 * task through the controller and follows it until it is done (or only says it was asked,
 * with --no-wait); `hafen backup drills` lists the restore drills with the restore time (RTO)
 * and data age (RPO) they measured.
 */
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import type { BackupTask, HafenClient } from '../client/client.js';
import { formatBytes } from '../core/fleet/units.js';
import type { BackupTaskKind } from '../core/render/backups.js';
import { EXIT, json, oneOf, parseFormat, wholeAtLeast, type CliIo, type OutputFormat } from './io.js';
import { remoteClient, remoteOptions, type RemoteOptions } from './remote.js';

const FINISHED = new Set(['done', 'failed', 'expired']);

/** Asks on the terminal for the app's name before its data is replaced; false when not given (or no terminal). */
async function confirm(io: CliIo, app: string): Promise<boolean> {
  if (!process.stdin.isTTY) {
    io.stderr(`error: restoring into ${app} replaces its data; confirm with --yes (no terminal to ask on)\n`);
    return false;
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`This stops ${app}, moves its data aside and puts the snapshot in its place. Type the app's name to go on: `);
    return answer.trim() === app;
  } finally {
    rl.close();
  }
}

const duration = (s: number | undefined) => (s === undefined ? '?' : s < 120 ? `${s.toFixed(1)} s` : s < 7200 ? `${(s / 60).toFixed(1)} min` : `${(s / 3600).toFixed(1)} h`);

/** One line saying what a finished task did. */
export function taskText(t: BackupTask): string {
  const r = t.result ?? {};
  if (t.state === 'expired') return `${t.kind} of ${t.app}: EXPIRED, the agent of ${t.host} did not take it up within an hour (is it running?)`;
  if (t.state === 'failed') return `${t.kind} of ${t.app} on ${t.host} FAILED: ${t.error?.kind ?? 'failed'}: ${t.error?.message ?? 'no reason given'}`;
  if (t.state !== 'done') return `${t.kind} of ${t.app} on ${t.host}: ${t.state}${t.startedAt ? ` since ${t.startedAt}` : ''}`;
  const size = `${r.files ?? 0} files, ${formatBytes(r.bytes ?? 0)}`;
  switch (t.kind) {
    case 'run':
      return `backed up ${t.app} on ${t.host}: snapshot ${r.snapshotId}, ${formatBytes(r.bytes ?? 0)} added, ${duration(r.seconds)}`;
    case 'restore':
      if (t.into === 'app') return `restored snapshot ${r.snapshotId?.slice(0, 8)} (${r.snapshotTime}) of ${t.app} into the app on ${t.host}: ${size}, verified by restic; the app was stopped for ${duration(r.downtimeSeconds)}; its data from before is kept in ${(r.keptAside ?? []).join(', ')}`;
      return `restored snapshot ${r.snapshotId?.slice(0, 8)} (${r.snapshotTime}) of ${t.app}${t.from === 'copy' ? ' from its copy' : ''} into ${t.host}:${r.path}: ${size} in ${duration(r.seconds)}, every file verified by restic`;
    case 'drill':
      return `restore drill of ${t.app} on ${t.host} passed: snapshot ${r.snapshotId?.slice(0, 8)}, ${size}, restored and verified in ${duration(r.seconds)} (RTO), data ${duration(r.dataAgeSeconds)} old (RPO)${r.verifyOutput ? `; verification said: ${r.verifyOutput.split('\n').at(-1)}` : ''}`;
    case 'check':
      return `restic check of the repository of ${t.app} passed, reading part ${r.subset} of the data, in ${duration(r.seconds)}`;
  }
}

/** Polls a task until it is finished or `timeoutS` passes (0: no limit); says when it starts running. */
async function follow(client: HafenClient, task: BackupTask, io: CliIo, timeoutS: number): Promise<BackupTask | undefined> {
  const end = timeoutS > 0 ? Date.now() + timeoutS * 1000 : Infinity;
  let said = task.state;
  let t = task;
  while (!FINISHED.has(t.state)) {
    if (Date.now() > end) return undefined;
    await new Promise((r) => setTimeout(r, 1000));
    t = await client.backupTask(task.id);
    if (t.state !== said && t.state === 'running') io.stderr(`running on ${t.host} since ${t.startedAt}\n`);
    said = t.state;
  }
  return t;
}

const WHAT: Record<BackupTaskKind, string> = {
  run: 'Back an app up now, on the host that runs its backup job; waits for the snapshot.',
  restore: 'Restore a snapshot of an app, restic verifying every file: into scratch space on the host that runs its backup job (the agent\'s --scratch directory; the files stay there for you, the running app is not touched) or with --to on any other host, or with --into-app back into the app (stopped meanwhile, its data from before kept aside). --from-copy reads it from the copy at the copyTo site.',
  drill: 'Run a restore drill now: restore the newest snapshot into scratch space, verify it (restic, then the app\'s drill.verify command), measure the restore time (RTO) and data age (RPO), remove it.',
  check: 'Run restic check on the app\'s repository now, reading the next part of the data (backup.check.parts).',
};

const TASK_KINDS = Object.keys(WHAT) as BackupTaskKind[];

export function registerBackupTasks(backup: Command, io: CliIo, setExit: (code: number) => void): void {
  for (const kind of ['run', 'restore', 'drill', 'check'] as const) {
    const cmd = backup
      .command(`${kind} <app>`)
      .description(`${WHAT[kind]} Exit 1 when it fails or the agent does not take it up.`)
      .option('--no-wait', 'only ask; print the task id (follow it with hafen backup tasks)')
      .option('--timeout <seconds>', 'stop waiting after this long (the task goes on); 0: wait until it ends', '0')
      .option('--format <format>', 'output format: text or json', parseFormat, 'text' as OutputFormat);
    if (kind === 'restore') {
      cmd
        .option('--snapshot <id>', 'the snapshot (its id or a prefix of 8+ hex digits) or "latest"', 'latest')
        .option('--into-scratch', 'into scratch space on the job host (the default)')
        .option('--to <host>', "into scratch space on this host instead of the job's host (e.g. a host at another site when the app's site is lost); its agent is let in to the repository while the task is open")
        .option('--from-copy', "read the snapshot from the app's copy at its copyTo site instead of its repository (when the repository's site is lost)")
        .option('--into-app', 'back into the app: restored and verified in scratch space first, then the app is stopped, its data moved aside (kept) and replaced, and the app started again; asks for the app\'s name unless --yes')
        .option('--yes', 'do not ask before restoring into the app');
    }
    remoteOptions(cmd).action(async (app: string, opts: RemoteOptions & { wait: boolean; timeout: string; format: OutputFormat; snapshot?: string; intoApp?: boolean; intoScratch?: boolean; yes?: boolean; to?: string; fromCopy?: boolean }) => {
      const timeout = Number(opts.timeout);
      if (!Number.isFinite(timeout) || timeout < 0) {
        io.stderr(`error: --timeout must be a number of seconds (0 for no limit), not "${opts.timeout}"\n`);
        return setExit(EXIT.usage);
      }
      if (opts.intoApp && opts.intoScratch) {
        io.stderr('error: --into-app and --into-scratch exclude each other\n');
        return setExit(EXIT.usage);
      }
      if (opts.intoApp && opts.to) {
        io.stderr("error: --into-app restores on the app's own host; --to puts the files into scratch space on another host\n");
        return setExit(EXIT.invalid);
      }
      if (opts.intoApp && !opts.yes && !(await confirm(io, app))) {
        io.stderr('nothing restored\n');
        return setExit(EXIT.invalid);
      }
      const client = remoteClient(opts);
      const restore = { ...(opts.snapshot ? { snapshot: opts.snapshot } : {}), ...(opts.intoApp ? { into: 'app' as const } : {}), ...(opts.fromCopy ? { from: 'copy' as const } : {}), ...(opts.to ? { to: opts.to } : {}) };
      const task = await client.askBackupTask(app, kind, kind === 'restore' ? restore : {});
      if (!opts.wait) {
        io.stdout(opts.format === 'json' ? json(task) : `asked the agent of ${task.host} for a ${kind} of ${app}: task ${task.id}\n`);
        return setExit(EXIT.ok);
      }
      if (opts.format === 'text') io.stderr(`asked the agent of ${task.host} for a ${kind} of ${app} (task ${task.id}); waiting for it (Ctrl-C stops waiting, not the task)\n`);
      const done = await follow(client, task, io, timeout);
      if (!done) {
        io.stderr(`error: task ${task.id} did not end within ${timeout} s; it goes on (hafen backup tasks --app ${app})\n`);
        return setExit(EXIT.invalid);
      }
      io.stdout(opts.format === 'json' ? json(done) : `${taskText(done)}\n`);
      setExit(done.state === 'done' ? EXIT.ok : EXIT.invalid);
    });
  }

  remoteOptions(
    backup
      .command('tasks')
      .description('Backup tasks, newest first: asked for (run, restore, drill, check) and scheduled (drills, checks), with what they did.')
      .option('--app <id>', 'only this app')
      .option('--kind <kind>', `only tasks of this kind (${TASK_KINDS.join(', ')})`, oneOf('--kind', TASK_KINDS))
      .option('--limit <n>', 'how many', wholeAtLeast('--limit', 1), 20)
      .option('--format <format>', 'output format: text or json', parseFormat, 'text' as OutputFormat),
  ).action(async (opts: RemoteOptions & { app?: string; kind?: BackupTaskKind; limit: number; format: OutputFormat }) => {
    const { tasks } = await remoteClient(opts).backupTasks({ ...(opts.app ? { app: opts.app } : {}), ...(opts.kind ? { kind: opts.kind } : {}), limit: opts.limit });
    if (opts.format === 'json') io.stdout(json({ tasks }));
    else io.stdout(tasks.length ? `${tasks.map((t) => `${t.createdAt}  ${t.id}  by ${t.requestedBy}\n  ${taskText(t)}`).join('\n')}\n` : 'no backup tasks\n');
    setExit(EXIT.ok);
  });

  remoteOptions(
    backup
      .command('plan [app]')
      .description('Retention ahead: what each app\'s keep policy keeps today and in 30, 90 and 365 days (how many snapshots, how far back), from its runs and schedule; an estimate of each repository\'s size (the data plus what was added over the reach of the kept snapshots) and of each backup host\'s disk. Exit 1 when a backup host is estimated to run out of disk within the year.')
      .option('--format <format>', 'output format: text or json', parseFormat, 'text' as OutputFormat),
  ).action(async (app: string | undefined, opts: RemoteOptions & { format: OutputFormat }) => {
    const plan = await remoteClient(opts).backupPlan(app);
    const full = plan.hosts.some((h) => h.bytes.some((b) => b.share !== null && b.share > 1));
    if (opts.format === 'json') io.stdout(json(plan));
    else if (plan.apps.length === 0) io.stdout(app ? `app ${app} has no backup policy\n` : 'no app has a backup policy\n');
    else {
      const when = (d: number) => (d === 0 ? 'today' : `in ${d} days`);
      const lines: string[] = [];
      for (const a of plan.apps) {
        const keep = Object.entries(a.keep).map(([k, v]) => `${k} ${v}`).join(', ');
        lines.push(`${a.app}  (${a.customer}) "${a.schedule}", keep ${keep}; repository ${a.backupHost ? `on ${a.backupHost}` : `at ${a.repositorySite}`}; data ${formatBytes(a.space.dataBytes)}, ${formatBytes(a.space.addedPerDay)} added per day`);
        for (const p of a.retention) {
          const reasons = Object.entries(p.reasons).map(([r, n]) => `${n} ${r.replace(/ snapshots?$/, '')}`).join(', ');
          const bytes = a.space.bytes.find((b) => b.days === p.days)?.bytes ?? 0;
          lines.push(`  ${when(p.days).padEnd(12)} ${String(p.kept).padStart(4)} snapshots, back to ${p.oldest?.slice(0, 10) ?? '-'}${reasons ? ` (${reasons})` : ''}; ~${formatBytes(bytes)}`);
        }
      }
      lines.push('', 'backup hosts (estimated repository space):');
      for (const h of plan.hosts) {
        const cells = h.bytes.map((b) => `${when(b.days)} ${formatBytes(b.bytes)}${b.share !== null ? ` (${Math.round(b.share * 100)}%)` : ''}`);
        const warn = h.bytes.some((b) => b.share !== null && b.share > 1) ? '  OVER CAPACITY' : h.bytes.some((b) => b.share !== null && b.share > 0.8) ? '  over 80%' : '';
        lines.push(`  ${h.host}${h.capacity ? ` (disk ${formatBytes(h.capacity)})` : ' (capacity unknown: a path repository)'}: ${cells.join(', ')}${warn}`);
      }
      io.stdout(`${lines.join('\n')}\n`);
    }
    setExit(full ? EXIT.invalid : EXIT.ok);
  });

  remoteOptions(
    backup
      .command('drills')
      .description('Restore drills per app: the newest one, whether it passed, the restore time it measured (RTO) and the age of the data it restored (RPO); with --app, its drills. Exit 1 when an app\'s newest drill failed or an app has never been drilled.')
      .option('--app <id>', 'only this app, with its drills')
      .option('--format <format>', 'output format: text or json', parseFormat, 'text' as OutputFormat),
  ).action(async (opts: RemoteOptions & { app?: string; format: OutputFormat }) => {
    const client = remoteClient(opts);
    const { apps } = await client.backups(opts.app ? { app: opts.app, limit: 1 } : { limit: 1 });
    const history = opts.app ? (await client.backupTasks({ app: opts.app, kind: 'drill', limit: 50 })).tasks : [];
    const rows = apps.map((a) => ({ app: a.app, customer: a.customer, lastDrill: a.lastDrill }));
    if (opts.format === 'json') io.stdout(json(opts.app ? { apps: rows, drills: history } : { apps: rows }));
    else if (rows.length === 0) io.stdout(opts.app ? `app ${opts.app} has no backup policy\n` : 'no app has a backup policy\n');
    else {
      const lines = rows.map((r) => `${r.app}  (${r.customer})\n  ${r.lastDrill ? `${r.lastDrill.finishedAt ?? r.lastDrill.createdAt}  ${taskText(r.lastDrill)}` : 'never drilled'}`);
      if (opts.app) lines.push('', 'drills, newest first:', ...history.map((t) => `  ${t.createdAt}  ${taskText(t)}`));
      io.stdout(`${lines.join('\n')}\n`);
    }
    setExit(rows.some((r) => r.lastDrill?.state !== 'done') ? EXIT.invalid : EXIT.ok);
  });
}
