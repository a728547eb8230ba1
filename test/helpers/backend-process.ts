/**
 * A backend in a process of its own, so a test can freeze it (SIGSTOP: its sockets stay open and
 * the kernel still accepts connections, but nothing answers — a host gone dark) and thaw it. It
 * answers every request with its id (header x-backend) and /healthz with "ok"; `served` counts
 * the requests it answered, health checks aside. Found and stopped by the PID it was started as.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface BackendProcess {
  id: string;
  address: string;
  port: number;
  pid: number;
  /** Requests answered so far (health checks aside), as the process last said. */
  served(): number;
  freeze(): void;
  thaw(): void;
  close(): Promise<void>;
}

const SCRIPT = `
const http = require('node:http');
const [id, address] = process.argv.slice(1);
let served = 0;
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    if (req.url === '/healthz') return void res.end('ok');
    served++;
    process.stdout.write('served ' + served + '\\n');
    res.writeHead(200, { 'content-type': 'text/plain', 'x-backend': id });
    res.end(id + ' ' + req.method + ' ' + req.url);
  });
});
server.listen(0, address, () => process.stdout.write('port ' + server.address().port + '\\n'));
`;

export function startBackendProcess(id: string, address: string): Promise<BackendProcess> {
  const child: ChildProcess = spawn(process.execPath, ['-e', SCRIPT, id, address], { stdio: ['ignore', 'pipe', 'inherit'] });
  let served = 0;
  return new Promise((resolve, reject) => {
    let buffered = '';
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`backend ${id} exited with ${code} before it listened`)));
    child.stdout!.on('data', (d: Buffer) => {
      buffered += d.toString();
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        const [what, n] = line.split(' ');
        if (what === 'served') served = Number(n);
        if (what === 'port') {
          child.removeAllListeners('exit');
          resolve({
            id,
            address,
            port: Number(n),
            pid: child.pid!,
            served: () => served,
            freeze: () => void child.kill('SIGSTOP'),
            thaw: () => void child.kill('SIGCONT'),
            close: () =>
              new Promise<void>((done) => {
                if (child.exitCode !== null || child.signalCode !== null) return done();
                child.once('exit', () => done());
                child.kill('SIGCONT');
                child.kill('SIGKILL');
              }),
          });
        }
      }
    });
  });
}
