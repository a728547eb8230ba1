/**
 * `hafen import`: takes over the compose projects running on this host. For each it copies the
 * project's files (not its data directories) into a fleet directory and writes the app that
 * runs it where it runs now — in its working directory, under its name, on this host — so that
 * the agent finds nothing to change and recreates no container. Compose itself is asked whether
 * that holds (`config --hash` against the hashes the containers were made with).
 */
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { adoptCheck, importProject, relativeFiles, type AdoptCheck, type ImportedProject } from '../core/compose/import.js';
import { importFleetYaml } from '../core/compose/import-yaml.js';
import { Id } from '../core/fleet/schema/common.js';
import { formatBytes } from '../core/fleet/units.js';
import { findCompose } from '../lib/compose-cli.js';
import { HafenError } from '../lib/errors.js';
import { writeFileAtomic } from '../lib/fs.js';
import { readProject, type ReadProject } from './compose-projects.js';
import { configHashes, isDirectory, runningProjects, sizeOf, volumePath } from './import-docker.js';
import { EXIT, json, parseFormat, type CliIo, type OutputFormat } from './io.js';

interface ImportOptions {
  host: string;
  out?: string;
  customer?: string;
  project?: string[];
  docker: string;
  format: OutputFormat;
  force?: boolean;
}

const PROJECTS_DIR = 'projects';

/** An option that names something of the fleet by id ("nue-app-01"). */
function fleetId(option: string): (value: string) => string {
  return (value) => {
    if (!Id.safeParse(value).success) throw new InvalidArgumentError(`${option} must be an id of the fleet (lower-case letters, digits and dashes, like "nue-app-01"), not "${value}"`);
    return value;
  };
}

interface Found {
  imported: ImportedProject;
  adopt: AdoptCheck;
  read?: ReadProject;
  sizes: Map<string, number>;
}

export function registerImport(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command('import')
    .description('Take over the compose projects running on this host: copy each project\'s files into a fleet directory and write the apps that run them where they run, without restarting a container.')
    .requiredOption('--host <id>', 'this host\'s id in the fleet: the apps are pinned to it (placement.hosts)', fleetId('--host'))
    .option('--out <dir>', 'fleet directory to write into: import-<host>.yaml and projects/<app>/ (default: print the fleet YAML, copy nothing)')
    .option('--customer <id>', 'the customer of every project (default: guessed from each project\'s name, and declared in the file for review)', fleetId('--customer'))
    .option('--project <name...>', 'only these compose projects (default: every one on the host)')
    .option('--docker <command>', 'the docker CLI', 'docker')
    .option('--format <format>', 'output format: text or json', parseFormat, 'text' as OutputFormat)
    .option('--force', 'replace an import file or project copy --out already holds')
    .addHelpText(
      'after',
      `
Run it on the host itself (as the user the agent runs as): it reads Docker's containers, their
Compose labels (project, working directory, compose files), ports, mounts and memory in use.
Nothing on the host is changed. Per project it writes:
  - projects/<app>/: the project's files as they are, without .git and without its data
    directories (bind mounts inside it that containers write: they stay on the host);
  - an app in import-<host>.yaml with workload.compose {project, name, workingDir, files,
    data}, placement.hosts [<host>], volumes with their sizes, the first published port,
    resources estimated from memory in use; lines to check are marked "# review:".

Exit status: 0 every project read (or none runs here), 1 a project could not be taken (said
why: a compose file outside its directory, too large to ship, …) or --out holds the files
(without --force), 2 usage.

JSON output: {"host", "file"?, "projects": [{"name", "app", "customer", "workingDir", "files",
"services", "ports", "port"?, "volumes": [{"name", "bytes"?}], "data": [{"path", "bytes"?}],
"adopt": {"kind": "kept"|"recreated"|"unknown", ...}, "review": [...], "skipped"?}]}

Examples:
  hafen import --host nue-app-01                       # what would be written
  hafen import --host nue-app-01 --out fleet/ --customer baeckerei-huber
  hafen import --host nue-app-01 --out fleet/ --project gitea wordpress --format json`,
    )
    .action(async (opts: ImportOptions) => {
      const found = await discover(opts);
      const taken = found.filter((f) => !f.imported.skip);
      const file = opts.out ? join(opts.out, `import-${opts.host}.yaml`) : undefined;
      const yaml = importFleetYaml(
        taken.map((f) => f.imported),
        { host: opts.host, projectsDir: PROJECTS_DIR, sizes: new Map(found.flatMap((f) => [...f.sizes])), declareCustomers: opts.customer === undefined, at: new Date().toISOString() },
      );
      if (opts.out && taken.length > 0) await writeImport(opts.out, file!, yaml, taken, opts.force === true);
      if (opts.format === 'json') io.stdout(json({ host: opts.host, ...(opts.out && taken.length ? { file } : {}), projects: found.map(jsonOf) }));
      else {
        io.stdout(found.length === 0 ? 'no compose project runs on this host\n' : found.map(textOf).join(''));
        if (!opts.out && taken.length > 0) io.stdout(`\n${yaml}`);
        if (opts.out && taken.length > 0) io.stdout(`wrote ${file} (${taken.length} app${taken.length === 1 ? '' : 's'}) and ${taken.map((f) => join(opts.out!, PROJECTS_DIR, f.imported.app)).join(', ')}; check the lines marked "review", then: hafen validate ${opts.out}\n`);
      }
      setExit(found.some((f) => f.imported.skip && !f.imported.project.managed) ? EXIT.invalid : EXIT.ok);
    });
}

/** Every project on the host (or those asked for), read: what it is, whether it can be taken, its files and sizes. */
async function discover(opts: ImportOptions): Promise<Found[]> {
  let projects = await runningProjects(opts.docker);
  if (opts.project) {
    const missing = opts.project.filter((n) => !projects.some((p) => p.name === n));
    if (missing.length > 0) throw new HafenError('HAFEN_CLI_BAD_OPTION', `--project: no compose project ${missing.join(', ')} runs on this host (there are: ${projects.map((p) => p.name).join(', ') || 'none'})`);
    projects = projects.filter((p) => opts.project!.includes(p.name));
  }
  const compose = await findCompose(opts.docker);
  const out: Found[] = [];
  for (const project of projects) {
    const files = relativeFiles(project.workingDir, project.configFiles);
    let adopt: AdoptCheck = { kind: 'unknown', reason: 'no Compose on this host' };
    if (compose && typeof files !== 'string' && !project.managed) adopt = adoptCheck(project, await configHashes(compose, project, files));
    const imported = importProject(project, { ...(opts.customer ? { customer: opts.customer } : {}), isDirectory, adopt });
    const found: Found = { imported, adopt, sizes: new Map() };
    out.push(found);
    if (imported.skip) continue;
    if (!isDirectory(project.workingDir)) {
      imported.skip = `its working directory ${project.workingDir} is not on this host`;
      continue;
    }
    const read = await readProject({ key: project.workingDir, data: imported.dataDirs });
    if (read.problem !== undefined) {
      imported.skip = `its directory ${project.workingDir} ${read.problem}`;
      continue;
    }
    found.read = read;
    for (const v of imported.volumes) {
      const path = await volumePath(opts.docker, `${project.name}_${v}`);
      const bytes = path === undefined ? undefined : await sizeOf(path);
      if (bytes !== undefined) found.sizes.set(`${project.name}_${v}`, bytes);
    }
    for (const d of imported.dataDirs) {
      const bytes = await sizeOf(join(project.workingDir, d));
      if (bytes !== undefined) found.sizes.set(`${project.workingDir}/${d}`, bytes);
    }
  }
  // Two projects whose names make one app id cannot both be written.
  const seen = new Set<string>();
  for (const f of out) {
    if (f.imported.skip) continue;
    if (seen.has(f.imported.app)) f.imported.skip = `another project here makes the app id "${f.imported.app}" too: import it on its own (--project)`;
    seen.add(f.imported.app);
  }
  return out;
}

/** The copies and the fleet file, each written whole: a copy goes in under a temporary name and is renamed; the fleet file last. */
async function writeImport(outDir: string, file: string, yaml: string, taken: readonly Found[], force: boolean): Promise<void> {
  const exists = (p: string) => stat(p).then(() => true, () => false);
  if (!force) {
    const there = [];
    for (const p of [file, ...taken.map((f) => join(outDir, PROJECTS_DIR, f.imported.app))]) if (await exists(p)) there.push(p);
    if (there.length > 0) throw new HafenError('HAFEN_CLI_OUTPUT_EXISTS', `${there.join(', ')} exist${there.length === 1 ? 's' : ''}; --force replaces ${there.length === 1 ? 'it' : 'them'}`);
  }
  for (const f of taken) {
    const dest = join(outDir, PROJECTS_DIR, f.imported.app);
    const tmp = `${dest}.import-${process.pid}`;
    await rm(tmp, { recursive: true, force: true });
    for (const file of f.read!.files) {
      await mkdir(join(tmp, file.path, '..'), { recursive: true });
      await writeFileAtomic(join(tmp, file.path), f.read!.contents.get(file.path)!, file.mode);
    }
    // Data directories are not copied, but the project names them: they exist (empty) in the copy too.
    for (const d of f.imported.dataDirs) await mkdir(join(tmp, d), { recursive: true });
    await rm(dest, { recursive: true, force: true });
    await rename(tmp, dest);
  }
  await writeFileAtomic(file, yaml);
}

function adoptText(a: AdoptCheck, containers: number): string {
  if (a.kind === 'kept') return `taking it over keeps its ${containers} container${containers === 1 ? '' : 's'}`;
  if (a.kind === 'recreated') return `taking it over recreates ${a.services.join(', ')}`;
  return `whether taking it over keeps its containers is unknown (${a.reason})`;
}

function textOf(f: Found): string {
  const p = f.imported;
  if (p.skip) return `${p.project.name}: skipped: ${p.skip}\n`;
  const size = (key: string) => (f.sizes.has(key) ? ` (${formatBytes(f.sizes.get(key)!)})` : '');
  const parts = [
    p.project.workingDir,
    `${p.project.containers.length} container${p.project.containers.length === 1 ? '' : 's'}`,
    p.ports.length ? `ports ${p.ports.join(', ')}` : 'no published port',
    ...(p.volumes.length ? [`volumes ${p.volumes.map((v) => `${v}${size(`${p.project.name}_${v}`)}`).join(', ')}`] : []),
    ...(p.dataDirs.length ? [`data ${p.dataDirs.map((d) => `./${d}${size(`${p.project.workingDir}/${d}`)}`).join(', ')}`] : []),
  ];
  return `${p.project.name} → app ${p.app} (customer ${p.customer}): ${parts.join(', ')}; ${adoptText(f.adopt, p.project.containers.length)}\n`;
}

function jsonOf(f: Found): Record<string, unknown> {
  const p = f.imported;
  return {
    name: p.project.name,
    app: p.app,
    customer: p.customer,
    workingDir: p.project.workingDir,
    files: p.files,
    services: [...new Set(p.project.containers.map((c) => c.service))].sort(),
    ports: p.ports,
    ...(p.port !== undefined ? { port: p.port } : {}),
    volumes: p.volumes.map((v) => ({ name: v, ...(f.sizes.has(`${p.project.name}_${v}`) ? { bytes: f.sizes.get(`${p.project.name}_${v}`) } : {}) })),
    data: p.dataDirs.map((d) => ({ path: `./${d}`, ...(f.sizes.has(`${p.project.workingDir}/${d}`) ? { bytes: f.sizes.get(`${p.project.workingDir}/${d}`) } : {}) })),
    adopt: f.adopt,
    review: p.review,
    ...(p.skip ? { skipped: p.skip } : {}),
  };
}
