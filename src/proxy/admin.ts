/** The admin address's answers besides /metrics, the same for both engines: /healthz and /replicas (health as this proxy sees it). */
import type { ProxyReplicaView } from '../client/client.js';

export function adminAnswer(url: string | undefined, revision: number, replicas: () => readonly ProxyReplicaView[]): unknown {
  if (url === '/healthz') return { ok: true, revision };
  if (url === '/replicas') return { revision, replicas: replicas() };
  return undefined;
}
