/** `hafen backup list`: per app with a backup policy, where and when it backs up and how its last runs went. */
import type { Command } from 'commander';
import type { BackupRunBody } from '../client/client.js';
import { spaceLevel } from '../core/alerting/backups.js';
import { formatBytes } from '../core/fleet/units.js';
import { EXIT, json, parseFormat, type CliIo, type OutputFormat } from './io.js';
import { registerBackupTasks } from './backup-tasks.js';
import { remoteClient, remoteOptions, type RemoteOptions } from './remote.js';

const runText = (r: BackupRunBody | null) =>
  !r ? 'never' : r.ok ? `${r.finishedAt} ok, snapshot ${r.snapshotId}, ${formatBytes(r.dataAdded ?? 0)} added` : `${r.finishedAt} FAILED: ${r.error?.kind ?? 'failed'}`;

const overdue = (a: { dueBy: string | null }) => a.dueBy !== null && Date.parse(a.dueBy) < Date.now();

export function registerBackup(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const backup = program.command('backup').description('Backups with restic: list the jobs, back up now, restore into scratch space, run restore drills and checks.');
  remoteOptions(
    backup
      .command('list')
      .description('Per app with a backup policy: host, schedule, repository, last run and last success; with --app, its runs. Then the backup hosts\' repository disks (hafen agent --repositories). Exit 1 when an app\'s last run failed, a success is overdue, or its backups cannot run, or a repository disk is 85% full or cannot be read.')
      .option('--app <id>', 'only this app, with its runs')
      .option('--runs <n>', 'how many runs to show with --app', '20')
      .option('--format <format>', 'output format: text or json', parseFormat, 'text' as OutputFormat),
  ).action(async (opts: RemoteOptions & { app?: string; runs: string; format: OutputFormat }) => {
    const res = await remoteClient(opts).backups({ ...(opts.app ? { app: opts.app } : {}), limit: Number(opts.runs) || 20 });
    if (opts.format === 'json') io.stdout(json(opts.app ? res : { apps: res.apps, disks: res.disks }));
    else if (res.apps.length === 0) io.stdout(opts.app ? `app ${opts.app} has no backup policy\n` : 'no app has a backup policy\n');
    else {
      const lines: string[] = [];
      for (const a of res.apps) {
        lines.push(`${a.app}  (${a.customer}) on ${a.host ?? 'no host'}, "${a.schedule}", to ${a.repository ?? 'no repository'}${a.copy ? `, copied to ${a.copy}` : ''}`);
        if (a.problem) lines.push(`  NOT RUNNING:  ${a.problem}`);
        lines.push(`  last run:     ${runText(a.lastRun)}${a.lastRun && !a.lastRun.ok ? `\n                ${a.lastRun.error?.message ?? ''}` : ''}`);
        if (a.lastRun && !a.lastRun.ok) lines.push(`  last success: ${runText(a.lastSuccess)}`, `  failing since ${a.failingSince ?? a.lastRun.startedAt}`);
        if (a.dueBy) lines.push(`  ${overdue(a) ? 'OVERDUE: a success was due by' : 'next success due by'} ${a.dueBy}`);
      }
      if (res.disks.length) {
        lines.push('', 'backup hosts (repository disks):');
        for (const d of res.disks) {
          const level = spaceLevel(d);
          const size = d.total !== undefined && d.free !== undefined ? `${Math.round((1 - d.free / d.total) * 100)}% used, ${formatBytes(d.free)} free of ${formatBytes(d.total)}` : `size unknown: ${d.error ?? 'not reported'}`;
          lines.push(`  ${d.host}  ${d.path}: ${size}${level === 'warning' ? '  NEARLY FULL' : level === 'critical' ? '  FULL SOON' : ''}`);
        }
      }
      if (opts.app) {
        lines.push('', 'runs, newest first:');
        for (const r of res.runs) lines.push(`  ${runText(r)}${r.ok ? `, ${r.filesNew ?? 0} new, ${r.filesChanged ?? 0} changed files, ${r.forgotten ?? 0} forgotten${r.pruned ? ', pruned' : ''}` : ''}`);
      }
      io.stdout(`${lines.join('\n')}\n`);
    }
    setExit(res.apps.some((a) => a.problem || (a.lastRun && !a.lastRun.ok) || overdue(a)) || res.disks.some((d) => spaceLevel(d) !== 'ok') ? EXIT.invalid : EXIT.ok);
  });
  registerBackupTasks(backup, io, setExit);
}
