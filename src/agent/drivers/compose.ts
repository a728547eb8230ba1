/**
 * The compose driver: one compose project per unit, run with `docker compose` (v2) or
 * `docker-compose` (v1), whichever the host has. State is read back from Docker itself
 * (containers with hafen's labels; those of a project adopted in its own working directory by
 * Compose's project label, which is all they carry), so a restarted agent needs nothing but
 * Docker and its state directory to know what runs. A project is this driver's when its compose file (inline projects) or its
 * compose arguments (project directories, compose-directory.ts) are in this driver's state
 * directory: several agents on one Docker engine (the compose demo, a test beside it) never
 * report, stop or remove each other's projects. Docker's restart policy (unless-stopped)
 * restarts crashed containers with its own doubling backoff. Volumes are kept when a unit
 * changes or is removed: data is never deleted by a plan.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { normalPath } from '../../core/compose/project.js';
import { composeLiteral } from '../../core/fleet/interpolation.js';
import type { MoveProject } from '../../core/render/move-orders.js';
import { projectName } from '../../core/render/compose.js';
import { APP_LABEL, HASH_LABEL, OWNER_LABEL, UNIT_LABEL, type DesiredUnit } from '../../core/render/desired.js';
import { groupBy } from '../../core/util/group.js';
import { composeEnv, findCompose } from '../../lib/compose-cli.js';
import { writeFileAtomic } from '../../lib/fs.js';
import { HafenError } from '../../lib/errors.js';
import { forgetShippedFiles, removeShippedFiles, writeProjectDirectory, type BlobSource } from './compose-directory.js';
import { unsupportedStatus, type Driver, type UnitState, type UnitStatus } from './driver.js';

const run = promisify(execFile);

/** Beside a project directory's files: how Compose is run on it, what it was brought up with, and hafen's override. */
const ARGS_FILE = 'compose-args.json';
const APPLIED_FILE = 'applied.json';
const OVERRIDE_FILE = 'hafen.override.yaml';
/** Which unit a project directory runs, and where its files are: its containers may carry no label of hafen's. */
const UNIT_FILE = 'unit.json';

interface UnitRecord {
  unit: string;
  app: string;
  /** The project's own working directory on the host (adopted in place), if not below the state directory. */
  workingDir?: string;
}

export interface ComposeDriverOptions {
  stateDir: string;
  /** Where the files of compose project directories come from (the agent's cache of the controller's). */
  blobs?: BlobSource;
  /** The docker CLI (default: docker on PATH). */
  docker?: string;
  /** The Docker engine to use (DOCKER_HOST, e.g. unix:///run/user/1000/docker.sock); default: the CLI's own. */
  dockerHost?: string;
  /** Restarts after which a crashing unit is reported failed (Docker keeps retrying). */
  failedAfter?: number;
  log?: (line: string) => void;
}

interface Container {
  id: string;
  project: string;
  service: string;
  unit: string;
  app: string;
  hash: string;
  state: string;
  exitCode: number;
  restarts: number;
  startedAt: string;
}

export class ComposeDriver implements Driver {
  readonly kind = 'compose';
  /** Projects stopped for a backup (apply leaves them alone). */
  private readonly held = new Set<string>();
  /** The first service of each unit (where backup hooks run by default). */
  private readonly firstService = new Map<string, string>();
  private readonly docker: string;
  private readonly failedAfter: number;
  /** Units of the last apply this driver cannot run (reported failed). */
  private unsupported: DesiredUnit[] = [];
  /** Units told to wait as standbys (created, stopped): reported as standby, not as failed. */
  private readonly standbys = new Set<string>();
  /** Each unit's compose project name (a project directory keeps its own; inline ones are hafen-<unit>). */
  private readonly projects = new Map<string, string>();

  private constructor(
    private readonly stateDir: string,
    docker: string,
    private readonly compose: string[],
    failedAfter: number,
    private readonly blobs: BlobSource | undefined,
    private readonly dockerHost: string | undefined,
    private readonly log: (line: string) => void,
  ) {
    this.docker = docker;
    this.failedAfter = failedAfter;
  }

  /** Finds a compose implementation; fails with HAFEN_DRIVER_NO_COMPOSE when there is none. */
  static async open(options: ComposeDriverOptions): Promise<ComposeDriver> {
    const docker = options.docker ?? 'docker';
    mkdirSync(join(options.stateDir, 'projects'), { recursive: true });
    const compose = await findCompose(docker);
    if (!compose) throw new HafenError('HAFEN_DRIVER_NO_COMPOSE', 'neither "docker compose" nor "docker-compose" works on this host; install one, or use the process runtime');
    return new ComposeDriver(options.stateDir, docker, compose, options.failedAfter ?? 3, options.blobs, options.dockerHost, options.log ?? (() => {}));
  }

  /** The docker CLI against this driver's engine. */
  private dockerCli(args: string[], opts: { maxBuffer?: number } = {}): Promise<{ stdout: string; stderr: string }> {
    return run(this.docker, args, { ...opts, ...(this.dockerHost ? { env: { ...process.env, DOCKER_HOST: this.dockerHost } } : {}) });
  }

  private async composeCmd(project: string, args: string[]): Promise<void> {
    const [cmd, ...pre] = this.compose;
    try {
      await run(cmd!, [...pre, '-p', project, ...this.fileArgs(project), ...args], { maxBuffer: 16 * 1024 * 1024, env: this.env(project) });
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new HafenError('HAFEN_DRIVER_COMPOSE_FAILED', `compose ${args[0]} of ${project} failed: ${(e.stderr || e.message).trim().split('\n').slice(-3).join(' ')}`, { retryable: true });
    }
  }

  /**
   * The containers hafen runs on the engine: those with hafen's labels (any agent's: callers
   * keep to this driver's projects with `owns`), and those of the projects this driver runs in
   * their own working directories, which carry no label of hafen's (found by Compose's project
   * label and this driver's record of the unit).
   */
  private async containers(): Promise<Container[]> {
    // Each project's record read once per listing, not once per container.
    const records = new Map<string, UnitRecord | undefined>();
    const recordOf = (project: string): UnitRecord | undefined => {
      if (!records.has(project)) records.set(project, this.unitRecord(project));
      return records.get(project);
    };
    const { stdout } = await this.dockerCli(['ps', '-a', '--filter', 'label=com.docker.compose.project', '--format', `{{.ID}}\t{{.Label "com.docker.compose.project"}}\t{{.Label "${OWNER_LABEL}"}}`]);
    const ids = stdout
      .split('\n')
      .map((line) => line.split('\t'))
      .filter(([id, project, owned]) => id && (owned === 'true' || (project && recordOf(project)?.workingDir)))
      .map(([id]) => id!);
    if (ids.length === 0) return [];
    const { stdout: inspected } = await this.dockerCli(['inspect', ...ids], { maxBuffer: 64 * 1024 * 1024 });
    const list = JSON.parse(inspected) as { Id: string; RestartCount: number; State: { Status: string; ExitCode: number; StartedAt: string }; Config: { Labels: Record<string, string> } }[];
    return list.map((c) => {
      const project = c.Config.Labels['com.docker.compose.project'] ?? '';
      const record = c.Config.Labels[UNIT_LABEL] ? undefined : recordOf(project);
      return {
        id: c.Id,
        project,
        service: c.Config.Labels['com.docker.compose.service'] ?? '',
        unit: c.Config.Labels[UNIT_LABEL] ?? record?.unit ?? '',
        app: c.Config.Labels[APP_LABEL] ?? record?.app ?? '',
        hash: c.Config.Labels[HASH_LABEL] ?? '',
        state: c.State.Status,
        exitCode: c.State.ExitCode,
        restarts: c.RestartCount,
        startedAt: c.State.StartedAt,
      };
    });
  }

  /** The unit a project directory runs, as recorded when it was written (undefined for inline projects and others'). */
  private unitRecord(project: string): UnitRecord | undefined {
    try {
      return JSON.parse(readFileSync(join(this.projectDir(project), UNIT_FILE), 'utf8')) as UnitRecord;
    } catch {
      return undefined;
    }
  }

  /** Where a project directory's files are on this host: its own working directory, or below the state directory. */
  private filesDir(project: string): string {
    return this.unitRecord(project)?.workingDir ?? this.shippedDir(project);
  }

  /** Where a project directory without a working directory of its own is written. */
  private shippedDir(project: string): string {
    return join(this.projectDir(project), 'files');
  }

  private projectDir(project: string): string {
    return join(this.stateDir, 'projects', project);
  }

  /** An inline project's file (a project directory's are listed in its args file). */
  private projectFile(project: string): string {
    return join(this.projectDir(project), 'compose.yaml');
  }

  /** How Compose is told where the project is: `-f` its file (inline), or its directory, its files and hafen's override. */
  private fileArgs(project: string): string[] {
    try {
      return JSON.parse(readFileSync(join(this.projectDir(project), ARGS_FILE), 'utf8')) as string[];
    } catch {
      return ['-f', this.projectFile(project)];
    }
  }

  /** The unit hash a project directory was last brought up with (its containers carry no hash label: Compose decides what to recreate). */
  private appliedHash(project: string): string {
    try {
      return (JSON.parse(readFileSync(join(this.projectDir(project), APPLIED_FILE), 'utf8')) as { hash: string }).hash;
    } catch {
      return '';
    }
  }

  private projectOf(unit: string): string {
    return this.projects.get(unit) ?? projectName(unit);
  }

  /** The unit's variables (its env values and secrets) beside its compose file: Compose reads the file again on every command. */
  private variablesFile(project: string): string {
    return join(this.stateDir, 'projects', project, 'variables.json');
  }

  private env(project: string): NodeJS.ProcessEnv {
    let variables: Record<string, string> = {};
    try {
      variables = JSON.parse(readFileSync(this.variablesFile(project), 'utf8')) as Record<string, string>;
    } catch {
      // None written: the project uses no variables.
    }
    return { ...composeEnv(variables), ...(this.dockerHost ? { DOCKER_HOST: this.dockerHost } : {}) };
  }

  /** Whether this driver wrote the project (its file, or a project directory's compose arguments, is in this state directory). */
  private owns(project: string): boolean {
    return existsSync(this.projectFile(project)) || existsSync(join(this.projectDir(project), ARGS_FILE));
  }

  async apply(units: readonly DesiredUnit[]): Promise<void> {
    const running = await this.containers();
    const wanted = units.filter((u) => u.kind === 'compose' && u.compose);
    this.unsupported = units.filter((u) => !(u.kind === 'compose' && u.compose));
    const wantedProjects = new Set(wanted.map((u) => u.compose!.name));
    // Stop this driver's projects that are no longer wanted; their volumes stay. Another
    // agent's projects on the same engine are not ours to stop.
    for (const project of new Set(running.map((c) => c.project))) {
      if (wantedProjects.has(project) || !this.owns(project)) continue;
      await this.composeCmd(project, ['down', '--remove-orphans']).catch(async () => {
        // compose could not take it down (a file it no longer accepts): remove the containers by label.
        const ids = running.filter((c) => c.project === project).map((c) => c.id);
        if (ids.length) await this.dockerCli(['rm', '-f', ...ids]);
      });
      await this.forget(project);
    }
    for (const u of wanted) {
      const project = u.compose!.name;
      this.projects.set(u.name, project);
      this.firstService.set(u.name, Object.keys(u.compose!.services)[0] ?? '');
      // Stopped for a backup: started again by its resume, not here.
      if (this.held.has(project)) continue;
      const mine = running.filter((c) => c.project === project);
      const services = Object.keys(u.compose!.services);
      // A standby's containers are created and stay stopped; it starts when promoted (a new hash).
      const standby = u.standby?.role === 'standby';
      if (standby) this.standbys.add(u.name);
      else this.standbys.delete(u.name);
      const up = standby
        ? services.every((svc) => mine.some((c) => c.service === svc)) && mine.every((c) => c.state !== 'running')
        : services.every((svc) => mine.some((c) => c.service === svc && c.state === 'running')) && mine.every((c) => c.state === 'running');
      const current = u.compose!.directory ? up && this.appliedHash(project) === u.hash : up && mine.length === services.length && mine.every((c) => c.hash === u.hash);
      if (current) continue;
      // The ${VAR}s are interpolated by Compose from the app's env and secrets (0600: they may hold secret values).
      await writeFileAtomic(this.variablesFile(project), JSON.stringify({ ...u.compose!.variables, ...(u.compose!.variables ? u.secretValues : {}) }), 0o600);
      // Until it is up, what is written is not what runs: a failure here is tried again in full.
      rmSync(join(this.projectDir(project), APPLIED_FILE), { force: true });
      if (u.compose!.directory) await this.writeDirectory(project, u);
      else await this.writeInline(project, u);
      // Compose is the judge of the final project (its files, hafen's override, the variables):
      // what it refuses touches no container.
      await this.composeCmd(project, ['config', '-q']);
      if (standby) {
        await this.composeCmd(project, ['up', '--no-start', '--remove-orphans']);
        await this.composeCmd(project, ['stop']);
      } else await this.composeCmd(project, ['up', '-d', '--remove-orphans']);
      if (u.compose!.directory) await writeFileAtomic(join(this.projectDir(project), APPLIED_FILE), JSON.stringify({ hash: u.hash }), 0o600);
    }
  }

  /** An inline project: one file, the services as written with hafen's labels, the hash label and secrets. */
  private async writeInline(project: string, u: DesiredUnit): Promise<void> {
    const services = Object.fromEntries(
      Object.entries(u.compose!.services).map(([name, spec]) => {
        const service: Record<string, unknown> = { ...spec, labels: { ...(spec.labels as Record<string, string>), [HASH_LABEL]: u.hash } };
        // Secret values go into every service of the unit (they win over its own environment), as literals.
        const secrets = Object.fromEntries(Object.entries(u.secretValues ?? {}).map(([k, v]) => [k, composeLiteral(v)]));
        if (u.secretValues) service.environment = { ...(spec.environment as Record<string, string> | undefined), ...secrets };
        return [name, service];
      }),
    );
    const { volumes, networks, secrets: secretDefs, configs } = u.compose!;
    const doc: Record<string, unknown> = { services, ...(volumes ? { volumes } : {}), ...(networks ? { networks } : {}), ...(secretDefs ? { secrets: secretDefs } : {}), ...(configs ? { configs } : {}) };
    await writeFileAtomic(this.projectFile(project), stringify(doc), 0o600);
  }

  /**
   * A project directory: its files as shipped, and hafen's override (its labels on every
   * service) as the last compose file; Compose merges them and recreates only what changed.
   * A project with its own working directory is written there and run with no override: a
   * project that already runs there keeps its containers (Compose finds nothing changed).
   */
  private async writeDirectory(project: string, u: DesiredUnit): Promise<void> {
    const dir = u.compose!.directory!;
    if (!this.blobs) throw new HafenError('HAFEN_DRIVER_COMPOSE_FAILED', `unit ${u.name} runs a compose project directory, and this driver was opened without a source of its files`);
    const root = this.projectDir(project);
    const files = dir.workingDir ?? this.shippedDir(project);
    const record: UnitRecord = { unit: u.name, app: u.app, ...(dir.workingDir ? { workingDir: dir.workingDir } : {}) };
    await writeFileAtomic(join(root, UNIT_FILE), JSON.stringify(record), 0o600);
    await writeProjectDirectory(root, files, dir, this.blobs);
    const args = ['--project-directory', files, ...dir.composeFiles.flatMap((f) => ['-f', join(files, f)])];
    const override = join(root, OVERRIDE_FILE);
    if (Object.values(u.compose!.services).some((s) => Object.keys(s).length > 0)) {
      await writeFileAtomic(override, stringify({ services: u.compose!.services }), 0o600);
      args.push('-f', override);
    } else rmSync(override, { force: true });
    await writeFileAtomic(join(root, ARGS_FILE), JSON.stringify(args), 0o600);
  }

  /**
   * Forgets a project taken down: an inline one's directory goes; a project directory's control
   * files and shipped files go, its data directories stay (data is never deleted by a plan). A
   * project in its own working directory keeps its files there: it is where the project lived
   * before hafen, and may live on after it.
   */
  private async forget(project: string): Promise<void> {
    const root = this.projectDir(project);
    if (!existsSync(join(root, ARGS_FILE))) {
      rmSync(root, { recursive: true, force: true });
      return;
    }
    const workingDir = this.unitRecord(project)?.workingDir;
    if (workingDir) await forgetShippedFiles(root);
    else await removeShippedFiles(root, this.filesDir(project));
    for (const f of [ARGS_FILE, APPLIED_FILE, OVERRIDE_FILE, UNIT_FILE, 'variables.json']) rmSync(join(root, f), { force: true });
  }

  async status(): Promise<UnitStatus[]> {
    let mine = (await this.containers()).filter((c) => this.owns(c.project));
    // A standby never runs: one Docker started again (restart: always, after the daemon
    // restarted) or someone started by hand is stopped here, at every report (every few seconds).
    const woke = mine.filter((c) => c.state === 'running' && this.standbys.has(c.unit) && !this.held.has(c.project));
    if (woke.length > 0) {
      try {
        await this.dockerCli(['stop', ...woke.map((c) => c.id)]);
        this.log(`standby ${[...new Set(woke.map((c) => c.unit))].join(', ')}: found running (Docker started it again, or someone did): stopped — a standby never writes`);
      } catch (err) {
        this.log(`standby ${[...new Set(woke.map((c) => c.unit))].join(', ')}: found running and could not stop it: ${(err as Error).message}`);
      }
      mine = (await this.containers()).filter((c) => this.owns(c.project));
    }
    const byUnit = groupBy(mine, (c) => c.unit);
    const out: UnitStatus[] = [];
    for (const [name, cs] of byUnit) {
      const restarts = Math.max(...cs.map((c) => c.restarts));
      const bad = cs.find((c) => c.state !== 'running');
      let state: UnitState = 'running';
      if (this.standbys.has(name) && cs.every((c) => c.state !== 'running')) state = 'standby';
      else if (bad) state = restarts >= this.failedAfter || bad.state === 'exited' || bad.state === 'dead' ? 'failed' : bad.state === 'created' ? 'starting' : 'backoff';
      // A project directory's containers carry no hash label: the hash it was last brought up with.
      const st: UnitStatus = { name, app: cs[0]!.app, state, hash: cs[0]!.hash || this.appliedHash(cs[0]!.project), restarts };
      if (bad && state !== 'standby') st.lastError = `${bad.state === 'restarting' ? 'restarting after it ' : ''}exited with code ${bad.exitCode}`;
      if (state === 'running') st.since = cs.map((c) => c.startedAt).sort()[0]!;
      out.push(st);
    }
    for (const u of this.unsupported) out.push(unsupportedStatus(u, this.kind));
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async exec(unit: Pick<DesiredUnit, 'name'>, argv: readonly string[], opts: { service?: string; timeoutMs: number }): Promise<{ code: number | null; output: string }> {
    const project = this.projectOf(unit.name);
    const service = opts.service ?? this.firstService.get(unit.name);
    if (!service) return { code: null, output: `unit ${unit.name} has no service to run the command in` };
    const [cmd, ...pre] = this.compose;
    try {
      const { stdout, stderr } = await run(cmd!, [...pre, '-p', project, ...this.fileArgs(project), 'exec', '-T', service, ...argv], { timeout: opts.timeoutMs, maxBuffer: 16 * 1024 * 1024, env: this.env(project) });
      return { code: 0, output: `${stdout}${stderr}` };
    } catch (err) {
      const e = err as { code?: number | string; stdout?: string; stderr?: string; message: string };
      return { code: typeof e.code === 'number' ? e.code : null, output: `${e.stdout ?? ''}${e.stderr ?? e.message}` };
    }
  }

  async hold(unit: Pick<DesiredUnit, 'name'>): Promise<() => Promise<void>> {
    const project = this.projectOf(unit.name);
    if (this.held.has(project) || !(await this.containers()).some((c) => c.project === project && c.state === 'running')) return async () => {};
    this.held.add(project);
    try {
      await this.composeCmd(project, ['stop']);
    } catch (err) {
      this.held.delete(project);
      await this.composeCmd(project, ['start']).catch(() => {});
      throw err;
    }
    return async () => {
      this.held.delete(project);
      // start brings back what stop stopped; up -d if the project changed meanwhile.
      await this.composeCmd(project, ['start']).catch(() => this.composeCmd(project, ['up', '-d', '--remove-orphans']));
    };
  }

  async detach(): Promise<void> {
    // Docker keeps the containers running; nothing to hand over.
  }

  async stopAll(): Promise<void> {
    await this.apply([]);
  }

  /**
   * The unit's data for a move: named volumes, and a project directory's data directories
   * ("./postgres"). A volume made here carries compose's labels, so the project started on this
   * host later takes it as its own (with the data copied into it); a data directory is made
   * where the project's files will be written. Before the unit runs here, `where` says the
   * project's name and working directory (the move order's).
   */
  async moveVolumes(unit: Pick<DesiredUnit, 'name'>, volumes: readonly string[], create: boolean, where?: MoveProject): Promise<{ name: string; path: string }[]> {
    const project = where?.name ?? this.projectOf(unit.name);
    const out: { name: string; path: string }[] = [];
    for (const v of volumes) {
      if (v.startsWith('./')) {
        const rel = normalPath(v.slice(2));
        if (!rel) throw new HafenError('HAFEN_DRIVER_COMPOSE_FAILED', `"${v.slice(0, 200)}" is not a directory inside the project`);
        const path = join(where ? (where.workingDir ?? this.shippedDir(project)) : this.filesDir(project), rel);
        if (create) mkdirSync(path, { recursive: true });
        if (existsSync(path)) out.push({ name: v, path });
        continue;
      }
      const name = `${project}_${v}`;
      const inspect = () => this.dockerCli(['volume', 'inspect', '--format', '{{.Mountpoint}}', name]).then((r) => r.stdout.trim());
      let path = await inspect().catch(() => '');
      if (!path && create) {
        await this.dockerCli(['volume', 'create', '--label', `com.docker.compose.project=${project}`, '--label', `com.docker.compose.volume=${v}`, name]);
        path = await inspect();
      }
      if (path) out.push({ name: v, path });
    }
    return out;
  }

  /**
   * The mount points of the unit's named volumes (compose names them <project>_<volume>), and a
   * project directory's data directories ("./postgres": below its files on this host).
   */
  async dataPaths(unit: Pick<DesiredUnit, 'name'>, volumes: readonly string[]): Promise<string[]> {
    const out: string[] = [];
    for (const v of volumes) {
      if (v.startsWith('./')) {
        const dir = join(this.filesDir(this.projectOf(unit.name)), v.slice(2));
        if (existsSync(dir)) out.push(dir);
        continue;
      }
      try {
        const { stdout } = await this.dockerCli(['volume', 'inspect', '--format', '{{.Mountpoint}}', `${this.projectOf(unit.name)}_${v}`]);
        if (stdout.trim()) out.push(stdout.trim());
      } catch {
        // Not created (yet): nothing to back up there.
      }
    }
    return out;
  }
}
