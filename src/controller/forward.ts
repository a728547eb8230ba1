/**
 * What a controller that does not lead answers: its own /healthz, and every other request
 * passed on to the leader as it came (streamed both ways, long-polls included), so agents,
 * probers, proxies and people may use any controller. With no leader to pass it to (a
 * take-over under way) a 503 HAFEN_CONTROLLER_NO_LEADER: the request reached no leader, and
 * clients try their next controller.
 */
import { timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
// Connection errors that mean the leader never got the request: the same the client goes on to the next controller for.
import { NOT_SENT } from '../client/controllers.js';
import { errorBody, httpStatusOf } from '../lib/error-codes.js';

/** Set on a passed-on request: a controller never passes one on twice (no loops between two followers). */
export const FORWARDED_BY = 'x-hafen-forwarded-by';

/** The client's address as the follower saw it, signed with a key every controller derives from the secret key. */
export const CLIENT = 'x-hafen-client';
export const CLIENT_SIG = 'x-hafen-client-sig';

/**
 * Who sent a request: its peer, or — for a request a follower passed on with a valid
 * signature — the address the follower got it from (so the login throttle counts people, not
 * followers; a forged header is ignored).
 */
export function clientAddress(req: { ip: string; headers: http.IncomingHttpHeaders }, derive: (label: string) => string): string {
  const address = req.headers[CLIENT];
  const sig = req.headers[CLIENT_SIG];
  if (typeof address !== 'string' || typeof sig !== 'string') return req.ip;
  const want = Buffer.from(derive(signed(address)));
  const got = Buffer.from(sig);
  return want.length === got.length && timingSafeEqual(want, got) ? address : req.ip;
}

const signed = (address: string) => `forwarded client ${address}`;

/** Hop-by-hop headers: they describe one connection, not the request. */
const HOP = ['connection', 'keep-alive', 'proxy-connection', 'upgrade', 'te', 'trailer'];

export interface Follower {
  handle(req: http.IncomingMessage, res: http.ServerResponse): void;
  /** Ends the long-polls passed on (a GET may be sent again); the rest finish. */
  endPolls(): void;
}

export interface FollowerOptions {
  /** This controller's own URL (a leader row naming it is stale: it does not lead). */
  self(): string;
  /** The leader as last seen. */
  leader(): { url: string; term: number } | undefined;
  /** This controller's /healthz answer. */
  health(): Promise<Record<string, unknown>>;
  /** A value derived from the secret key (Secrets.derive): signs the client's address for the leader. */
  derive(label: string): string;
  /** The CA the other controllers' https certificates chain to (default: the system's). */
  ca?: string;
}

function answer(res: http.ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return void res.destroy();
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

const noLeader = (detail: string) => errorBody('HAFEN_CONTROLLER_NO_LEADER', `no controller leads right now (${detail}); try again in a few seconds, or another controller`);

export function follower(o: FollowerOptions): Follower {
  const agents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true, ...(o.ca !== undefined ? { ca: o.ca } : {}) }) };
  const polls = new Set<http.ClientRequest>();
  const handle = (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (req.method === 'GET' && /^\/healthz(\?|$)/.test(req.url ?? '')) {
      o.health().then(
        (body) => answer(res, 200, body),
        (err: Error) => answer(res, httpStatusOf('HAFEN_STORE_UNAVAILABLE'), { ok: false, ...errorBody('HAFEN_STORE_UNAVAILABLE', err.message) }),
      );
      return;
    }
    const leader = o.leader();
    const why = !leader ? 'none has taken the lead yet' : leader.url === o.self() ? 'the last leader was this controller, before it restarted' : req.headers[FORWARDED_BY] !== undefined ? `passed on by ${String(req.headers[FORWARDED_BY])}, and this controller does not lead either` : undefined;
    if (why !== undefined || !leader) {
      req.resume();
      return answer(res, httpStatusOf('HAFEN_CONTROLLER_NO_LEADER'), noLeader(why ?? ''));
    }
    const to = new URL(req.url ?? '/', leader.url);
    const secure = to.protocol === 'https:';
    const peer = req.socket.remoteAddress ?? '';
    const headers: http.OutgoingHttpHeaders = { ...req.headers, host: to.host, [FORWARDED_BY]: o.self(), 'x-forwarded-for': [req.headers['x-forwarded-for'], peer].filter(Boolean).join(', '), [CLIENT]: peer, [CLIENT_SIG]: o.derive(signed(peer)) };
    for (const h of HOP) delete headers[h];
    const up = (secure ? https : http).request(to, { method: req.method, headers, agent: secure ? agents.https : agents.http }, (ures) => {
      const back = { ...ures.headers };
      for (const h of HOP) delete back[h];
      res.writeHead(ures.statusCode ?? 502, back);
      ures.pipe(res);
      ures.on('error', () => res.destroy());
    });
    if (req.method === 'GET') {
      polls.add(up);
      up.on('close', () => polls.delete(up));
    }
    up.on('error', (err: NodeJS.ErrnoException) => {
      if (NOT_SENT.has(err.code ?? '')) return answer(res, httpStatusOf('HAFEN_CONTROLLER_NO_LEADER'), noLeader(`the leader at ${leader.url} cannot be reached: ${err.message}`));
      answer(res, httpStatusOf('HAFEN_CONTROLLER_LEADER_LOST'), errorBody('HAFEN_CONTROLLER_LEADER_LOST', `the leader at ${leader.url} went away during the request (${err.message}); it may or may not have been done: look before sending it again`));
    });
    res.on('close', () => {
      if (!res.writableFinished) up.destroy();
    });
    req.pipe(up);
  };
  return {
    handle,
    endPolls: () => {
      for (const p of polls) p.destroy();
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}
