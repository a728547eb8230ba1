/** A steady stream of GETs (keep-alive) for tests that change things under traffic: every answer's status and body. */
import http from 'node:http';

export interface Answer {
  status: number;
  body: string;
}

/** `perSecond` GETs of `url` with Host `host` until stopped; a late timer catches up instead of lowering the rate. */
export function steadyGets(url: string, host: string, perSecond: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const results: Promise<Answer>[] = [];
  const one = () =>
    new Promise<Answer>((resolve) => {
      const req = http.request(`${url}/`, { headers: { host }, agent, timeout: 5000 }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (err) => resolve({ status: 0, body: err.message }));
      req.end();
    });
  const start = performance.now();
  let n = 0;
  const timer = setInterval(() => {
    const due = Math.floor(((performance.now() - start) * perSecond) / 1000);
    while (n < due) {
      results.push(one());
      n++;
    }
  }, 10);
  // A test that fails before it stops the load must still end.
  timer.unref();
  return {
    async stop(): Promise<{ all: Answer[]; seconds: number }> {
      clearInterval(timer);
      const all = await Promise.all(results);
      agent.destroy();
      return { all, seconds: (performance.now() - start) / 1000 };
    },
  };
}
