/** What the edge proxies report about themselves, and where probes through them go. */

/** What a proxy last said about itself and the replicas it sees. */
export interface ProxyView {
  site: string;
  listen?: string;
  tlsListen?: string;
  revision: number;
  replicas: unknown[];
  reportedAt: string;
}

/** A proxy's HOST:PORT, with a wildcard address replaced by the address of the host it runs on. */
export function endpoint(listen: string, hostAddress: string | undefined): { address: string; port: number } | undefined {
  const m = /^\[?([^\]]*)\]?:(\d+)$/.exec(listen);
  if (!m) return undefined;
  const wildcard = m[1] === '0.0.0.0' || m[1] === '::' || m[1] === '';
  const address = wildcard ? hostAddress : m[1];
  return address ? { address, port: Number(m[2]) } : undefined;
}
