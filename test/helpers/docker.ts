/**
 * Test images without a registry: a rootfs holding Debian's busybox-static, imported with
 * `docker import`. busybox's httpd serves HTTP, its sh runs scripts.
 */
import { mkdtempSync, mkdirSync, copyFileSync, symlinkSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DOCKER, run } from './system.js';

/** Bump the tag when the rootfs changes, so a stale image from an earlier run is not reused. */
export const BUSYBOX_IMAGE = 'hafen-test/busybox:2';
const APPLETS = ['sh', 'httpd', 'echo', 'cat', 'sleep', 'ls', 'mkdir', 'wget', 'env'];

/** Builds the busybox test image once (idempotent); throws with docker's message on failure. */
export function ensureBusyboxImage(): string {
  if (run(DOCKER, ['image', 'inspect', BUSYBOX_IMAGE]).status === 0) return BUSYBOX_IMAGE;
  const root = mkdtempSync(join(tmpdir(), 'hafen-rootfs-'));
  try {
    mkdirSync(join(root, 'bin'));
    mkdirSync(join(root, 'www'));
    copyFileSync('/bin/busybox', join(root, 'bin', 'busybox'));
    for (const a of APPLETS) symlinkSync('busybox', join(root, 'bin', a));
    const tar = run('tar', ['-C', root, '-cf', join(root, '..', `${root.split('/').pop()}.tar`), '.']);
    if (tar.status !== 0) throw new Error(`tar: ${tar.stderr}`);
    const imp = run(DOCKER, ['import', '-c', 'CMD ["/bin/sh"]', join(root, '..', `${root.split('/').pop()}.tar`), BUSYBOX_IMAGE]);
    if (imp.status !== 0) throw new Error(`docker import: ${imp.stderr}`);
    return BUSYBOX_IMAGE;
  } finally {
    rmSync(root, { recursive: true, force: true });
    rmSync(`${root}.tar`, { force: true });
  }
}

/** Whether nothing listens on `port` on any address of this machine (a published project binds it there). */
export function hostPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer().once('error', () => resolve(false));
    srv.listen(port, '0.0.0.0', () => srv.close(() => resolve(true)));
  });
}

/** A compose project's containers, volumes and networks gone (volumes outlive a project by design), on the machine's engine or another's. */
export function removeComposeProject(project: string, docker: (args: string[]) => { stdout: string } = (args) => run(DOCKER, args)): void {
  const filter = `label=com.docker.compose.project=${project}`;
  const ids = docker(['ps', '-aq', '--filter', filter]).stdout.split('\n').filter(Boolean);
  if (ids.length) docker(['rm', '-f', ...ids]);
  for (const v of docker(['volume', 'ls', '-q', '--filter', filter]).stdout.split('\n').filter(Boolean)) docker(['volume', 'rm', '-f', v]);
  for (const n of docker(['network', 'ls', '-q', '--filter', filter]).stdout.split('\n').filter(Boolean)) docker(['network', 'rm', n]);
}
