/**
 * A hand-written HAProxy config for the job hafen renders one for: route by Host through a map,
 * set the forwarding headers (X-Forwarded-For/-Proto/-Host, Forwarded), drop X-Real-IP, limit
 * connections per client, check the backend, retry a failed connection elsewhere (and a GET
 * that got no answer). Written the way an operator would by hand, without hafen's renderer, so
 * bench/proxy.ts can tell what hafen's generated config costs beyond the work itself.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function haproxySameJob(dir: string, o: { port: number; host: string; backendPort: number }): string {
  writeFileSync(join(dir, 'same-job-hosts.map'), `${o.host} be_app\n`);
  const cfg = `global
  nbthread 1
  maxconn 8000
defaults
  mode http
  timeout connect 2s
  timeout client 60s
  timeout http-request 10s
  timeout server 60s
  retries 5
  option redispatch 1
  retry-on conn-failure empty-response response-timeout
  default-server check inter 1s fastinter 500ms fall 2 rise 2 observe layer4 error-limit 1 on-error mark-down
frontend fe
  bind 127.0.0.1:${o.port}
  stick-table type ipv6 size 1m expire 60s store conn_cur
  tcp-request connection track-sc0 src
  tcp-request connection reject if { sc0_conn_cur gt 10000 }
  http-request del-header x-real-ip
  http-request set-header x-forwarded-for %[src]
  http-request set-header x-forwarded-proto http
  http-request set-header x-forwarded-host %[req.hdr(host)]
  http-request set-header forwarded for=%[src];proto=http;host=%[req.hdr(host)]
  http-request disable-l7-retry unless METH_GET || METH_OPTIONS
  use_backend %[req.hdr(host),lower,map(${dir}/same-job-hosts.map,be_none)]
backend be_none
  http-request return status 404
backend be_app
  server b1 127.0.0.1:${o.backendPort}
`;
  const file = join(dir, 'haproxy-same-job.cfg');
  writeFileSync(file, cfg);
  return file;
}
