/**
 * A Docker engine of its own inside a test's network namespace: Debian's dockerd with its own
 * data, exec root, socket and containerd namespace, so its bridge and its iptables (nftables)
 * rules live in that namespace only and the machine's engine is untouched. The busybox test
 * image is copied over from the machine's engine (no registry).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ensureBusyboxImage } from './docker.js';
import type { Netns } from './netns.js';
import { DOCKER, run, type Exec } from './system.js';
import { sleep } from './wait.js';

export interface NetnsDocker {
  /** Runs the docker client against this engine. */
  docker(args: string[]): Exec;
  /** Its socket, as DOCKER_HOST names it. */
  host: string;
  image: string;
  stop(): Promise<void>;
}

/** Starts dockerd in `ns`; its state lives under /var/lib (overlay2 needs a real filesystem, not /tmp's). */
export async function startNetnsDocker(ns: Netns): Promise<NetnsDocker> {
  const root = `/var/lib/hafen-test-${ns.name}`;
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  const sock = `unix://${join(root, 'docker.sock')}`;
  const log = openSync(join(root, 'dockerd.log'), 'a');
  // nsenter, not ip netns exec: that remounts /sys for the namespace, and dockerd needs the cgroup mounts under it.
  const daemon = spawn('nsenter', [`--net=/run/netns/${ns.name}`, '/usr/sbin/dockerd', '--data-root', join(root, 'data'), '--exec-root', join(root, 'exec'), '-H', sock, '--pidfile', join(root, 'docker.pid'), '--containerd-namespace', ns.name, '--containerd-plugins-namespace', `${ns.name}-plugins`, '--ip6tables=false'], {
    stdio: ['ignore', log, log],
  });
  const exited = new Promise<void>((resolve) => daemon.once('exit', () => resolve()));
  const docker = (args: string[]) => run(DOCKER, ['-H', sock, ...args]);
  const stop = async () => {
    for (const id of docker(['ps', '-aq']).stdout.split('\n').filter(Boolean)) docker(['rm', '-f', id]);
    daemon.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 20_000)))]);
    clearTimeout(timer);
    if (daemon.exitCode === null && daemon.signalCode === null) daemon.kill('SIGKILL');
    run('umount', ['-R', join(root, 'data')]);
    rmSync(root, { recursive: true, force: true });
  };
  try {
    const deadline = Date.now() + 60_000;
    while (docker(['info']).status !== 0) {
      if (daemon.exitCode !== null || Date.now() > deadline) throw new Error(`dockerd in ${ns.name} did not start: ${readFileSync(join(root, 'dockerd.log'), 'utf8').split('\n').slice(-15).join('\n')}`);
      await sleep(250);
    }
    const image = ensureBusyboxImage();
    const copy = run('sh', ['-c', `${DOCKER} save ${image} | ${DOCKER} -H ${sock} load`]);
    if (copy.status !== 0) throw new Error(`copying ${image} into ${ns.name}'s engine: ${copy.stderr}`);
    return { docker, host: sock, image, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
