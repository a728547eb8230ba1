/**
 * The demo's container image for `hafen demo --driver compose`, made without a registry: this
 * machine's own node binary with the shared libraries it needs (as `ldd` lists them) and the
 * demo app, imported with `docker import`. Tagged by a hash of both, so it is built once.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const APP = fileURLToPath(new URL('../../examples/apps/hello.mjs', import.meta.url));
const NODE = '/usr/local/bin/node';

/** Where a command fails, what it said. */
async function must(cmd: string, args: string[], what: string): Promise<string> {
  try {
    return (await run(cmd, args, { maxBuffer: 16 * 1024 * 1024 })).stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${what}: ${(e.stderr || e.message).trim().split('\n').slice(-3).join(' ')}`);
  }
}

/** Whether a Docker engine answers, and if not, why. */
export async function dockerEngine(docker: string): Promise<string | undefined> {
  try {
    await run(docker, ['info', '--format', '{{.ServerVersion}}'], { timeout: 15_000 });
    return undefined;
  } catch (err) {
    const e = err as { stderr?: string; message: string; code?: string };
    return e.code === 'ENOENT' ? `${docker} is not installed` : (e.stderr || e.message).trim().split('\n')[0];
  }
}

/** The tag of the demo image, built first when this engine does not have it yet. */
export async function ensureDemoImage(docker: string, say: (line: string) => void): Promise<string> {
  const hash = createHash('sha256').update(process.version).update(readFileSync(APP)).digest('hex').slice(0, 12);
  const tag = `hafen-demo/hello:${hash}`;
  try {
    await run(docker, ['image', 'inspect', tag]);
    return tag;
  } catch {
    // Not built yet.
  }
  say(`building the demo image ${tag} from this machine's node ${process.version} (once)...`);
  const root = mkdtempSync(join(tmpdir(), 'hafen-demo-image-'));
  try {
    const libs = (await must('ldd', [process.execPath], 'ldd on the node binary'))
      .split('\n')
      .map((l) => /(?:=>\s*)?(\/\S+)\s+\(0x/.exec(l)?.[1])
      .filter((p): p is string => p !== undefined);
    for (const [from, to] of [[process.execPath, NODE], [APP, '/app/hello.mjs'], ...libs.map((l) => [l, l])] as [string, string][]) {
      mkdirSync(join(root, 'rootfs', dirname(to)), { recursive: true });
      copyFileSync(from, join(root, 'rootfs', to));
    }
    mkdirSync(join(root, 'rootfs', 'tmp'), { recursive: true });
    mkdirSync(join(root, 'rootfs', 'data'), { recursive: true });
    await must('tar', ['-C', join(root, 'rootfs'), '-cf', join(root, 'rootfs.tar'), '.'], 'packing the image');
    await must(docker, ['import', '-c', 'WORKDIR /data', '-c', `CMD ["${NODE}", "/app/hello.mjs"]`, join(root, 'rootfs.tar'), tag], 'docker import');
    return tag;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
