/**
 * What `hafen import` reads from the host's Docker engine: the compose projects running there
 * (Compose's labels on their containers), the memory they use, the sizes of their volumes and
 * data directories, and Compose's own hash of each service as hafen's agent would run it.
 */
import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { RunningContainer, RunningProject } from '../core/compose/import.js';
import { parseBytes } from '../core/fleet/units.js';
import { composeEnv } from '../lib/compose-cli.js';
import { HafenError } from '../lib/errors.js';

const run = promisify(execFile);
const BUFFER = 64 * 1024 * 1024;

interface Inspected {
  Id: string;
  Name: string;
  State: { Status: string };
  Config: { Labels: Record<string, string> | null };
  NetworkSettings: { Ports: Record<string, { HostIp: string; HostPort: string }[] | null> | null };
  HostConfig: { PortBindings: Record<string, { HostIp: string; HostPort: string }[] | null> | null };
  Mounts: { Type: string; Source: string; Name?: string; RW: boolean }[];
}

/** Every compose project with a container on the engine (running or not), with its containers. */
export async function runningProjects(docker: string): Promise<RunningProject[]> {
  let ids: string[];
  try {
    ids = (await run(docker, ['ps', '-aq', '--filter', 'label=com.docker.compose.project'])).stdout.split('\n').filter(Boolean);
  } catch (err) {
    throw new HafenError('HAFEN_CLI_DOCKER', `cannot list containers with ${docker}: ${((err as { stderr?: string }).stderr || (err as Error).message).trim()}`);
  }
  if (ids.length === 0) return [];
  const inspected = JSON.parse((await run(docker, ['inspect', ...ids], { maxBuffer: BUFFER })).stdout) as Inspected[];
  const memory = await memoryInUse(docker, ids);
  const byName = new Map<string, RunningProject>();
  for (const c of inspected) {
    const labels = c.Config.Labels ?? {};
    const name = labels['com.docker.compose.project'] ?? '';
    let p = byName.get(name);
    if (!p) {
      p = { name, workingDir: labels['com.docker.compose.project.working_dir'] ?? '', configFiles: (labels['com.docker.compose.project.config_files'] ?? '').split(',').filter(Boolean), containers: [], managed: false };
      byName.set(name, p);
    }
    if (labels['dev.hafen.owned'] === 'true') p.managed = true;
    // Published ports: those bound now, or (a stopped container) those it asks for.
    const bindings = c.NetworkSettings.Ports ?? c.HostConfig.PortBindings ?? {};
    const ports = Object.entries(bindings).flatMap(([spec, list]) => (list ?? []).map((b) => `${b.HostPort}/${spec.split('/')[1] ?? 'tcp'}`));
    const container: RunningContainer = {
      name: c.Name.replace(/^\//, ''),
      service: labels['com.docker.compose.service'] ?? '',
      state: c.State.Status,
      configHash: labels['com.docker.compose.config-hash'] ?? '',
      ports: [...new Set(ports)],
      mounts: c.Mounts.map((m) => ({ type: m.Type, source: m.Source, rw: m.RW, ...(m.Name ? { name: m.Name } : {}) })),
    };
    const used = memory.get(c.Id.slice(0, 12));
    if (used !== undefined) container.memoryBytes = used;
    p.containers.push(container);
  }
  return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** Memory in use per container (by short id), from one `docker stats` sample; empty when Docker does not say. */
async function memoryInUse(docker: string, ids: readonly string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  try {
    const { stdout } = await run(docker, ['stats', '--no-stream', '--format', '{{.ID}}\t{{.MemUsage}}', ...ids], { maxBuffer: BUFFER, timeout: 30_000 });
    for (const line of stdout.split('\n').filter(Boolean)) {
      const [id, usage] = line.split('\t');
      // "12.5MiB / 7.7GiB": what is in use, before the limit.
      const bytes = parseBytes((usage ?? '').split('/')[0]!.trim());
      if (id && bytes !== undefined) out.set(id.slice(0, 12), bytes);
    }
  } catch {
    // Stopped containers, or an engine without stats: the estimate falls back to its minimum.
  }
  return out;
}

/** Bytes below `path` (`du -sb`), undefined when it cannot be measured. */
export async function sizeOf(path: string): Promise<number | undefined> {
  try {
    const { stdout } = await run('du', ['-sb', path], { timeout: 300_000 });
    const n = Number(stdout.split('\t')[0]);
    return Number.isFinite(n) ? n : undefined;
  } catch {
    return undefined;
  }
}

/** Where a named volume's data is on the host. */
export async function volumePath(docker: string, name: string): Promise<string | undefined> {
  try {
    return (await run(docker, ['volume', 'inspect', '--format', '{{.Mountpoint}}', name])).stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Compose's hash of every service of the project as the agent would run it: in its working
 * directory, with its compose files, under its name, with no variables but its `.env` (the app
 * the import writes defines none). A string says why Compose could not tell.
 */
export async function configHashes(compose: readonly string[], project: RunningProject, files: readonly string[]): Promise<Map<string, string> | string> {
  const [cmd, ...pre] = compose;
  const args = [...pre, '-p', project.name, '--project-directory', project.workingDir, ...files.flatMap((f) => ['-f', join(project.workingDir, f)]), 'config', '--hash=*'];
  try {
    const { stdout } = await run(cmd!, args, { env: composeEnv({}), maxBuffer: BUFFER, timeout: 60_000 });
    return new Map(stdout.split('\n').filter(Boolean).map((l) => l.trim().split(/\s+/) as [string, string]));
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    return `Compose could not load it as hafen would run it: ${(e.stderr || e.message).trim().split('\n').slice(-2).join(' ')}`;
  }
}

export function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
