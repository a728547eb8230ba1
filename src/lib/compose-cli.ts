/**
 * How hafen runs Docker Compose, shared by the agent's compose driver and `hafen import`: which
 * implementation the host has, and the environment it runs with. Both must agree: the import
 * asks Compose whether the agent would keep a project's containers, and Compose's answer
 * depends on the variables it sees.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * What Compose runs with: how to reach Docker, and the unit's variables — nothing else of the
 * caller's environment, so that a host's containers never depend on how its agent was started.
 */
const KEEP_ENV = ['PATH', 'HOME', 'TMPDIR', 'XDG_RUNTIME_DIR', 'DOCKER_HOST', 'DOCKER_CONTEXT', 'DOCKER_CONFIG', 'DOCKER_CERT_PATH', 'DOCKER_TLS_VERIFY'];

export function composeEnv(variables: Record<string, string>): NodeJS.ProcessEnv {
  const base = Object.fromEntries(KEEP_ENV.flatMap((k) => (process.env[k] === undefined ? [] : [[k, process.env[k]!]])));
  return { ...base, ...variables };
}

/** The Compose command of this host: `docker compose` (v2 plugin) if it works, else `docker-compose` (v1); undefined when neither does. */
export async function findCompose(docker = 'docker'): Promise<string[] | undefined> {
  try {
    await run(docker, ['compose', 'version']);
    return [docker, 'compose'];
  } catch {
    try {
      await run('docker-compose', ['version']);
      return ['docker-compose'];
    } catch {
      return undefined;
    }
  }
}
