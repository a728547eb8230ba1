/**
 * One request to one replica through undici's lowest-level API (dispatch with a handler): the
 * answer's raw headers go to the client without being parsed into an object, the body is
 * written as it arrives with backpressure, and the request can be given up at any time
 * without an AbortController (undici hands the handler an abort function). The request and
 * stream APIs cost a third of the throughput in allocations this path does not make.
 */
import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { HOP_BY_HOP } from './headers.js';

export interface Forward {
  method: string;
  path: string;
  headers: Record<string, string | string[]>;
  body: Buffer | Readable | undefined;
}

const latin1 = (x: Buffer | string): string => (typeof x === 'string' ? x : x.toString('latin1'));

/** Raw response headers without hop-by-hop ones (and those the Connection header names), as the flat list writeHead takes. */
export function clientHeaders(raw: readonly (Buffer | string)[]): string[] {
  let listed: Set<string> | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.length === 10 && latin1(raw[i]!).toLowerCase() === 'connection') {
      const v = latin1(raw[i + 1]!).toLowerCase();
      if (v !== 'keep-alive' && v !== 'close') listed = new Set(v.split(',').map((s) => s.trim()));
    }
  }
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = latin1(raw[i]!);
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || listed?.has(lower)) continue;
    out.push(name, latin1(raw[i + 1]!));
  }
  return out;
}

/**
 * Sends `f` through `dispatcher` and streams the answer into `res`. `onAnswer` runs when the
 * response headers arrive (before they are written); `setAbort` receives a function that gives
 * the request up with an error (the promise then rejects with it). Rejects with the transport
 * error; whether anything was written shows in `res.headersSent`.
 */
export function forward(dispatcher: Dispatcher, f: Forward, res: ServerResponse, onAnswer: (status: number) => void, setAbort?: (abort: (err: Error) => void) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    let abort: ((err?: Error) => void) | undefined;
    let resume: (() => void) | undefined;
    let done = false;
    const onDrain = () => resume?.();
    // The client went away: stop reading the backend's answer.
    const onClose = () => {
      if (!done) abort?.(Object.assign(new Error('client closed the connection'), { code: 'HAFEN_CLIENT_GONE' }));
    };
    const finish = () => {
      done = true;
      res.off('drain', onDrain);
      res.off('close', onClose);
    };
    res.once('close', onClose);
    setAbort?.((err) => abort?.(err));
    dispatcher.dispatch(
      { method: f.method as Dispatcher.HttpMethod, path: f.path, headers: f.headers, body: f.body ?? null },
      {
        onConnect: (a) => {
          abort = a;
        },
        onHeaders: (statusCode, rawHeaders, r) => {
          // 1xx (100 Continue and friends) are not passed on; the final answer follows.
          if (statusCode < 200) return true;
          resume = r;
          onAnswer(statusCode);
          res.writeHead(statusCode, clientHeaders(rawHeaders as unknown as Buffer[]));
          res.on('drain', onDrain);
          return true;
        },
        onData: (chunk) => res.write(chunk),
        onComplete: () => {
          finish();
          res.end();
          resolve();
        },
        onError: (err) => {
          finish();
          reject(err);
        },
      },
    );
  });
}
