/**
 * Finding Debian's PostgreSQL on this machine and the user it runs as: PostgreSQL refuses to
 * run as root, so a root process runs its programs as `postgres` (the user the packages make),
 * which must be able to enter the directories its clusters live in.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The unprivileged user the cluster runs as (undefined: the agent's own, when it is not root). */
export interface RunAs {
  uid: number;
  gid: number;
  name: string;
}

/** Where PostgreSQL's programs are: $HAFEN_PG_BIN, else the newest /usr/lib/postgresql/<version>/bin. */
export function findPgBin(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.HAFEN_PG_BIN) return existsSync(join(env.HAFEN_PG_BIN, 'postgres')) ? env.HAFEN_PG_BIN : undefined;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => /^\d+$/.test(v) && existsSync(join(root, v, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], 'bin') : undefined;
}

/** The user to run PostgreSQL as: `postgres` when the agent is root (it must exist), else none. */
export function pgRunAs(): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    return { uid, gid, name: 'postgres' };
  } catch {
    throw new Error('the agent runs as root and PostgreSQL must not: no user "postgres" to run it as (install Debian\'s postgresql packages, which make it)');
  }
}

/** Whether `user` can reach `dir` (every directory above it searchable): else PostgreSQL cannot open its data. */
export function unreachableFor(dir: string, user: RunAs | undefined): string | undefined {
  if (!user) return undefined;
  for (let d = dirname(dir); ; d = dirname(d)) {
    const st = statSync(d);
    const mode = st.mode;
    const ok = st.uid === user.uid ? mode & 0o100 : st.gid === user.gid ? mode & 0o010 : mode & 0o001;
    if (!ok) return d;
    if (d === '/') return undefined;
  }
}

