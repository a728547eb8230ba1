/**
 * One probe, once: an HTTP request (status, optional body keyword), a TCP connect, or a TLS
 * handshake that reads the certificate (trusted, valid for the name, not ending within the
 * limit). Never throws: a failure is a result with the reason in words.
 */
import net from 'node:net';
import tls from 'node:tls';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Probe } from '../../core/monitor/checks.js';

export interface ProbeResult {
  ok: boolean;
  ms: number;
  error?: string;
}

const DAY_MS = 86_400_000;

/** Reads at most this much of a body when looking for a keyword. */
const MAX_BODY = 256 * 1024;

function reason(err: unknown): string {
  const e = err as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
  const code = e.code ?? e.cause?.code;
  return code ? `${code}: ${e.message}` : String(e.message ?? err);
}

/**
 * An HTTP GET on a fresh connection (a kept-alive one would hide a listener that no longer
 * accepts), from `localAddress`, given up as a whole after the probe's timeout: connect,
 * answer and body alike. (undici's abort signal does not cut a connect in progress: a
 * blackholed target would take its 10 s connect timeout.)
 */
function http(p: Probe, localAddress?: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const expect = p.expectStatus ?? 200;
    let settled = false;
    const done = (err?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve(err);
    };
    const req = (p.https ? httpsRequest : httpRequest)(
      {
        host: p.address,
        port: p.port,
        path: p.path ?? '/',
        method: 'GET',
        agent: false,
        headers: { ...(p.host ? { host: p.host } : {}), 'user-agent': 'hafen-prober', connection: 'close' },
        ...(localAddress ? { localAddress } : {}),
        ...(p.https ? { servername: p.host ?? p.address, rejectUnauthorized: false } : {}),
      },
      (res) => {
        if (res.statusCode !== expect) return done(`HTTP ${res.statusCode}, expected ${expect}`);
        if (p.keyword === undefined) return done();
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
          if (body.includes(p.keyword!)) done();
          else if (body.length > MAX_BODY) done(`the answer does not contain "${p.keyword}" (first ${MAX_BODY} bytes)`);
        });
        res.on('end', () => done(body.includes(p.keyword!) ? undefined : `the answer does not contain "${p.keyword}"`));
        res.on('error', (err) => done(reason(err)));
      },
    );
    const timer = setTimeout(() => done(`no answer within ${p.timeoutMs} ms`), p.timeoutMs);
    req.on('error', (err) => done(reason(err)));
    req.end();
  });
}

/**
 * A connection to the probe's address: `onConnect` ends it with done(error?) (a TCP probe at once,
 * a protocol probe once it heard the answer); no connection or no end within the timeout fails.
 */
function connection(p: Probe, localAddress: string | undefined, late: string, onConnect: (s: net.Socket, done: (err?: string) => void) => void): Promise<string | undefined> {
  return new Promise((resolve) => {
    const s = net.connect({ host: p.address, port: p.port, ...(localAddress ? { localAddress } : {}) });
    const done = (err?: string) => {
      s.destroy();
      resolve(err);
    };
    s.setTimeout(p.timeoutMs, () => done(late));
    s.once('connect', () => onConnect(s, done));
    s.once('error', (err) => done(reason(err)));
  });
}

const tcp = (p: Probe, localAddress?: string) => connection(p, localAddress, `no connection within ${p.timeoutMs} ms`, (_s, done) => done());

/** PostgreSQL's SSLRequest (length 8, code 80877103): every server answers it at once with one byte, "S" or "N", before any login. */
const SSL_REQUEST = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);

/** A PostgreSQL server that answers: connected, and the one-byte reply to an SSLRequest in time (a hung server's kernel still accepts the connection). */
const postgres = (p: Probe, localAddress?: string) =>
  connection(p, localAddress, `no answer from PostgreSQL within ${p.timeoutMs} ms`, (s, done) => {
    s.once('data', (d: Buffer) => done(d[0] === 0x4e || d[0] === 0x53 ? undefined : `not a PostgreSQL answer (first byte 0x${(d[0] ?? 0).toString(16)})`));
    s.once('end', () => done('the server closed the connection without answering'));
    s.write(SSL_REQUEST);
  });

function certificate(p: Probe, now: number, localAddress?: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const name = p.host ?? p.address;
    const s = tls.connect({ host: p.address, port: p.port, servername: name, rejectUnauthorized: false, ...(localAddress ? { localAddress } : {}) });
    const done = (err?: string) => {
      s.destroy();
      resolve(err);
    };
    s.setTimeout(p.timeoutMs, () => done(`no TLS handshake within ${p.timeoutMs} ms`));
    s.once('error', (err) => done(reason(err)));
    s.once('secureConnect', () => {
      const cert = s.getPeerCertificate();
      if (!cert || !cert.valid_to) return done('the server sent no certificate');
      const mismatch = tls.checkServerIdentity(name, cert);
      if (mismatch) return done(`the certificate is not valid for ${name}: ${mismatch.message}`);
      if (!s.authorized) return done(`the certificate is not trusted: ${String(s.authorizationError)}`);
      const left = (Date.parse(cert.valid_to) - now) / DAY_MS;
      if (left < (p.minDaysLeft ?? 0)) return done(left < 0 ? `the certificate expired on ${cert.valid_to}` : `the certificate ends in ${Math.floor(left)} days (${cert.valid_to})`);
      done();
    });
  });
}

/** Runs `p` once. `localAddress` is the source address probes leave from (the host's own). */
export async function runProbe(p: Probe, localAddress?: string): Promise<ProbeResult> {
  const start = performance.now();
  let error: string | undefined;
  try {
    if (p.kind === 'http') error = await http(p, localAddress);
    else if (p.kind === 'tcp') error = await tcp(p, localAddress);
    else if (p.kind === 'postgres') error = await postgres(p, localAddress);
    else error = await certificate(p, Date.now(), localAddress);
  } catch (err) {
    error = reason(err);
  }
  const ms = performance.now() - start;
  return error === undefined ? { ok: true, ms } : { ok: false, ms, error };
}
