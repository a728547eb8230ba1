/**
 * restic, driven as a program (Debian's package): one class per repository with the calls
 * hafen needs, `--json` output parsed into types, and every failure turned into a ResticError
 * with a kind (wrong password, locked, unreachable, disk full, no repository, incomplete) and
 * a message that names the repository but never the password. restic 0.14 exits 1 for every
 * fatal error (3: snapshot made, some files unreadable), so the kind comes from its message.
 */
import { spawn } from 'node:child_process';

export interface ResticRepository {
  /** A local path, or "sftp:user@host:/path". */
  url: string;
  password: string;
  /** For sftp: the ssh command restic runs ("ssh -p 2222 -i KEY user@host -s sftp"). */
  sftpCommand?: string;
}

export type ResticErrorKind = 'wrong-password' | 'locked' | 'unreachable' | 'denied' | 'hook-failed' | 'disk-full' | 'no-repository' | 'incomplete' | 'interrupted' | 'failed';

export class ResticError extends Error {
  constructor(
    readonly kind: ResticErrorKind,
    message: string,
    readonly exitCode: number | null,
  ) {
    super(message);
    this.name = 'ResticError';
  }
}

/**
 * restic's words when its ssh connection died (ssh gave up on a silent backup host, or the
 * host reset it). restic 0.14 never reconnects, yet retries each operation for a while: the
 * run is stopped at once instead.
 */
const SSH_DEAD = /connection lost|ssh command exited|subprocess ssh: .*(Timeout, server .* not responding|Broken pipe|Connection reset|Connection closed)/;

/** What restic's messages say, most specific first. */
const KINDS: [ResticErrorKind, RegExp][] = [
  ['wrong-password', /wrong password or no key found/i],
  ['locked', /repository is already locked|unable to create lock/i],
  ['disk-full', /no space left on device|disk quota exceeded/i],
  ['no-repository', /Is there a repository at the following location\?|unable to open config file/i],
  ['denied', /Permission denied \(publickey|Host key verification failed/i],
  ['unreachable', /subprocess ssh:|unable to start the sftp session|connection refused|no route to host|connection timed out|could not resolve hostname|host is unreachable/i],
];

const HINTS: Record<ResticErrorKind, string> = {
  'wrong-password': 'the repository does not open with this password',
  locked: 'another restic process holds a lock on the repository (or a crashed one left it): it is retried later; `restic unlock` removes stale locks',
  'disk-full': 'the disk holding the repository is full: free space or move the repository; nothing was written that needs repair',
  'no-repository': 'there is no restic repository at this location (not initialised yet?)',
  unreachable: 'the backup host cannot be reached (ssh/sftp): check the network path and sshd there',
  denied: "the backup host refused this agent's ssh login: its key is not (yet) in the restic user's authorized_keys there (the backup host's agent writes them: is it running with --authorized-keys?), or the backup host's own key changed",
  incomplete: 'the snapshot was made, but some files could not be read',
  interrupted: 'restic was interrupted',
  'hook-failed': 'a backup hook failed',
  failed: 'restic failed',
};

/** Classifies a failed run; the message names the repository and quotes restic, never the password. */
export function resticError(repo: ResticRepository, args: readonly string[], code: number | null, stderr: string, known?: ResticErrorKind): ResticError {
  const kind: ResticErrorKind = known ?? (code === 3 ? 'incomplete' : code === 130 ? 'interrupted' : (KINDS.find(([, re]) => re.test(stderr))?.[0] ?? 'failed'));
  const said = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('{'))
    .slice(-3)
    .join(' / ')
    .split(repo.password)
    .join('***');
  // `cat config` is how hafen opens a repository: say so.
  const verb = args[0] === 'cat' ? 'open' : args[0];
  return new ResticError(kind, `restic ${verb} on ${repo.url}: ${HINTS[kind]}${said ? ` (restic: ${said})` : ''}`, code);
}

export interface BackupSummary {
  snapshotId: string;
  filesNew: number;
  filesChanged: number;
  filesUnmodified: number;
  dataAdded: number;
  totalFiles: number;
  totalBytes: number;
  seconds: number;
}

export interface Snapshot {
  id: string;
  shortId: string;
  time: string;
  hostname: string;
  paths: string[];
  tags: string[];
}

export interface RepoStats {
  totalSize: number;
  totalFileCount: number;
}

export class Restic {
  constructor(
    private readonly repo: ResticRepository,
    private readonly opts: { binary?: string; cacheDir?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
  ) {}

  /**
   * Runs restic with `args`; resolves stdout, rejects with a ResticError. `from` is the source
   * repository of a copy (its password reaches restic through the environment, never argv).
   */
  run(args: string[], input?: string, from?: ResticRepository): Promise<string> {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      // Snapshot times and day boundaries as restic sees them: see src/core/retention.
      TZ: 'UTC',
      ...this.opts.env,
      RESTIC_REPOSITORY: this.repo.url,
      RESTIC_PASSWORD: this.repo.password,
      ...(this.opts.cacheDir ? { RESTIC_CACHE_DIR: this.opts.cacheDir } : {}),
      ...(from ? { RESTIC_FROM_REPOSITORY: from.url, HAFEN_RESTIC_FROM_PASSWORD: from.password } : {}),
    };
    // restic 0.14 reads the source password from a file or a command only.
    const full = [...args, ...(from ? ['--from-password-command', 'printenv HAFEN_RESTIC_FROM_PASSWORD'] : []), ...(this.repo.sftpCommand ? ['-o', `sftp.command=${this.repo.sftpCommand}`] : [])];
    return new Promise((resolve, reject) => {
      const child = spawn(this.opts.binary ?? 'restic', full, { env, stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      let sshDead = false;
      const timers: NodeJS.Timeout[] = [];
      if (this.opts.timeoutMs) timers.push(setTimeout(() => child.kill('SIGINT'), this.opts.timeoutMs));
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => {
        err += d.toString();
        if (sshDead || !(this.repo.url.startsWith('sftp:') || from?.url.startsWith('sftp:')) || !SSH_DEAD.test(err)) return;
        // Interrupted, so restic removes its lock where it still can; killed if it does not end.
        sshDead = true;
        timers.push(setTimeout(() => child.kill('SIGINT'), 500), setTimeout(() => child.kill('SIGKILL'), 15_000));
      });
      const done = () => timers.forEach((t) => clearTimeout(t));
      child.on('error', (e) => {
        done();
        reject(new ResticError('failed', `restic could not be started (${(e as NodeJS.ErrnoException).code ?? e.message}): install Debian's restic package`, null));
      });
      child.on('close', (code) => {
        done();
        if (code === 0) resolve(out);
        else reject(resticError(this.repo, args, code, from?.password ? err.split(from.password).join('***') : err, sshDead ? 'unreachable' : undefined));
      });
      // restic may exit before it reads its input: the exit status reports that, not a broken pipe.
      child.stdin.on('error', () => {});
      child.stdin.end(input ?? '');
    });
  }

  /**
   * Creates the repository unless it exists; `chunkerFrom`: with that repository's chunker
   * parameters, so snapshots copied from it deduplicate as they did there.
   */
  async init(chunkerFrom?: ResticRepository): Promise<'created' | 'exists'> {
    try {
      await this.run(['cat', 'config']);
      return 'exists';
    } catch (err) {
      if (!(err instanceof ResticError) || err.kind !== 'no-repository') throw err;
    }
    await this.run(['init', ...(chunkerFrom ? ['--copy-chunker-params'] : [])], undefined, chunkerFrom);
    return 'created';
  }

  /** Copies the snapshots of `from` (with these filter flags, e.g. ["--tag", "app:shop"]) that this repository lacks. */
  async copyFrom(from: ResticRepository, filter: string[] = []): Promise<void> {
    await this.run(['copy', ...filter], undefined, from);
  }

  /** The repository's chunker polynomial (equal in a copy made with init(chunkerFrom)). */
  async chunkerPolynomial(): Promise<string> {
    return (JSON.parse(await this.run(['cat', 'config'])) as { chunker_polynomial: string }).chunker_polynomial;
  }

  async backup(paths: string[], opts: { host: string; tags?: string[] }): Promise<BackupSummary> {
    const out = await this.run(['backup', '--json', '--host', opts.host, ...(opts.tags ?? []).flatMap((t) => ['--tag', t]), ...paths]);
    const summary = out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((m) => m.message_type === 'summary');
    if (!summary) throw new ResticError('failed', `restic backup on ${this.repo.url} printed no summary`, 0);
    const n = (k: string) => Number(summary[k] ?? 0);
    return {
      snapshotId: String(summary.snapshot_id),
      filesNew: n('files_new'),
      filesChanged: n('files_changed'),
      filesUnmodified: n('files_unmodified'),
      dataAdded: n('data_added'),
      totalFiles: n('total_files_processed'),
      totalBytes: n('total_bytes_processed'),
      seconds: n('total_duration'),
    };
  }

  async snapshots(host?: string): Promise<Snapshot[]> {
    const list = JSON.parse(await this.run(['snapshots', '--json', ...(host ? ['--host', host] : [])])) as { id: string; short_id: string; time: string; hostname: string; paths: string[]; tags?: string[] }[] | null;
    return (list ?? []).map((s) => ({ id: s.id, shortId: s.short_id, time: s.time, hostname: s.hostname, paths: s.paths, tags: s.tags ?? [] }));
  }

  /** restic forget with the keep flags given (see keepFlags); prune removes the data no snapshot needs. */
  async forget(keep: string[], opts: { host?: string; prune?: boolean; dryRun?: boolean } = {}): Promise<{ keep: string[]; remove: string[] }> {
    const out = await this.run(['forget', '--json', ...keep, ...(opts.host ? ['--host', opts.host] : []), ...(opts.prune ? ['--prune'] : []), ...(opts.dryRun ? ['--dry-run'] : [])]);
    const line = out.split('\n').find((l) => l.startsWith('['));
    const groups = (line ? JSON.parse(line) : []) as { keep: { id: string }[] | null; remove: { id: string }[] | null }[];
    return { keep: groups.flatMap((g) => (g.keep ?? []).map((s) => s.id)), remove: groups.flatMap((g) => (g.remove ?? []).map((s) => s.id)) };
  }

  /** restic check; `subset` ("n/t") also reads that part of the data. */
  async check(subset?: string): Promise<void> {
    await this.run(['check', ...(subset ? [`--read-data-subset=${subset}`] : [])]);
  }

  /** Restores a snapshot under `target`; `verify` has restic read every restored file back and compare it with the snapshot. */
  async restore(snapshot: string, target: string, opts: { verify?: boolean } = {}): Promise<void> {
    await this.run(['restore', snapshot, '--target', target, ...(opts.verify ? ['--verify'] : [])]);
  }

  async stats(mode: 'raw-data' | 'restore-size' = 'raw-data'): Promise<RepoStats> {
    const s = JSON.parse(await this.run(['stats', '--json', '--mode', mode])) as { total_size: number; total_file_count: number };
    return { totalSize: s.total_size, totalFileCount: s.total_file_count };
  }
}
