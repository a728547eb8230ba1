/** Hosts and their agents: join tokens, joining, desired state (long-poll), status reports. */
import type { FastifyInstance } from 'fastify';
import { HafenError } from '../../lib/errors.js';
import { hashToken, newToken } from '../../lib/secrets.js';
import { type Credentials, requireHost, requireRole } from './auth.js';
import { noteAudit } from '../audit.js';
import { JoinBody, StatusBody } from './schemas.js';
import { body } from './validate.js';
import type { Store } from '../store/store.js';
import type { Snapshot } from '../snapshot.js';
import type { Pulls } from '../pulls.js';
import type { Secrets } from '../secrets.js';
import type { Remediation } from '../remediation.js';

/** What the agents' routes need: join tokens, the newest revision, what agents pull and report, revealed secrets. */
export interface AgentsApi {
  auth: Credentials;
  store: Pick<Store, 'createJoinToken' | 'redeemJoinToken' | 'hostJoinedAt' | 'blobs'>;
  current(): Promise<Snapshot | undefined>;
  desiredFor: Pulls['desiredFor'];
  waitForChange: Pulls['waitForChange'];
  recordReport: Pulls['recordReport'];
  secrets: Pick<Secrets, 'reveal' | 'revealBackups' | 'unsealBlob'>;
  /** Makes the host's agent apply its firewall again (remediation.ts). */
  reapplyFirewall: Remediation['reapplyFirewall'];
}

/** How long a join token is valid. */
const JOIN_TTL_MS = 24 * 3600 * 1000;
/** Longest a desired-state request waits for a change. */
const MAX_WAIT_S = 30;

export function agentRoutes(app: FastifyInstance, api: AgentsApi, now: () => Date): void {
  app.post<{ Params: { host: string } }>('/v1/hosts/:host/join-token', async (req) => {
    const who = await requireRole(api.auth, req, 'operator');
    const cur = await api.current();
    const host = req.params.host;
    if (!cur?.fleet.hosts.some((h) => h.id === host)) {
      throw new HafenError('HAFEN_HOST_NOT_FOUND', `host "${host}" is not in the current fleet (revision ${cur?.revision ?? 'none'}); apply a fleet with it first`);
    }
    // A joined host's token would hand its desired state (secret values included) to whoever
    // redeems it and replace its agent's credential: an admin's decision, kept in the history.
    const joinedAt = await api.store.hostJoinedAt(host);
    if (joinedAt !== undefined && who.role !== 'admin') {
      throw new HafenError('HAFEN_AUTH_FORBIDDEN', `host "${host}" joined at ${joinedAt}: joining it again replaces its agent's credential and needs the admin role`);
    }
    const token = newToken('hfj_');
    const expiresAt = new Date(now().getTime() + JOIN_TTL_MS).toISOString();
    await api.store.createJoinToken({ hash: hashToken(token), host, expiresAt });
    noteAudit(req, { actor: who.name, action: joinedAt === undefined ? 'host.join-token' : 'host.rejoin-token', subject: host, detail: { expiresAt, ...(joinedAt !== undefined ? { joinedAt } : {}) } });
    return { host, token, expiresAt, ...(joinedAt !== undefined ? { rejoin: true } : {}) };
  });

  app.post<{ Params: { host: string } }>('/v1/hosts/:host/firewall/reapply', async (req) => {
    const user = await requireRole(api.auth, req, 'operator');
    const host = req.params.host;
    noteAudit(req, { actor: user.name, action: 'host.firewall-reapply', subject: host });
    const want = (await api.current())?.fleet.hosts.some((h) => h.id === host) ? await api.desiredFor(host) : undefined;
    if (!want) throw new HafenError('HAFEN_HOST_NOT_FOUND', `host "${host}" is not in the current fleet`);
    if (!want.state.firewall) throw new HafenError('HAFEN_FIREWALL_NONE', `host "${host}" has no firewall to apply (it has no address from IPAM)`);
    const generation = await api.reapplyFirewall(host, user.name);
    return { host, hash: want.state.firewall.hash, generation };
  });

  app.post('/v1/agent/join', async (req) => {
    const { token } = body(JoinBody, req);
    const credential = newToken('hfh_');
    const host = await api.store.redeemJoinToken(hashToken(token), now().toISOString(), hashToken(credential));
    if (!host) throw new HafenError('HAFEN_AUTH_INVALID', 'the join token is unknown, used or expired; create a new one with hafen host join');
    noteAudit(req, { actor: `host ${host}`, action: 'host.join', subject: host, detail: { address: req.ip } });
    return { host, credential };
  });

  app.get<{ Querystring: { after?: string; wait?: string } }>('/v1/agent/desired', async (req) => {
    const host = await requireHost(api.auth, req);
    const wait = Math.min(Math.max(Number(req.query.wait ?? 0) || 0, 0), MAX_WAIT_S);
    const res = wait > 0 ? await api.waitForChange(host, req.query.after, wait * 1000) : { ...(await api.desiredFor(host)), changed: true };
    // Secret values are added here, for this host's units only, and never cached or logged.
    const units = await api.secrets.reveal(res.state.units);
    const backups = await api.secrets.revealBackups(res.state.backups);
    // A restore on another host than the job's carries the job, and so its password.
    const backupTasks = res.state.backupTasks && (await Promise.all(res.state.backupTasks.map(async (t) => (t.job ? { ...t, job: (await api.secrets.revealBackups([t.job]))![0]! } : t))));
    return { hash: res.hash, revision: res.revision, changed: res.changed, state: { ...res.state, units, ...(backups ? { backups } : {}), ...(backupTasks ? { backupTasks } : {}) } };
  });

  // A file of a compose project one of the host's units runs (by sha256): only those, to the host's own agent.
  app.get<{ Params: { digest: string } }>('/v1/agent/blobs/:digest', async (req) => {
    const host = await requireHost(api.auth, req);
    const digest = req.params.digest;
    const { state } = await api.desiredFor(host);
    const named = /^[0-9a-f]{64}$/.test(digest) && state.units.some((u) => u.compose?.directory?.files.some((f) => f.digest === digest));
    const stored = named ? (await api.store.blobs([digest])).get(digest) : undefined;
    // Sealed at rest like secret values; in the clear only to the agent that runs it.
    const content = stored === undefined ? undefined : api.secrets.unsealBlob(digest, stored);
    if (content === undefined) throw new HafenError('HAFEN_AGENT_BLOB_NOT_FOUND', `no file ${digest.slice(0, 80)} in a compose project of host ${host}'s units`);
    return { digest, content };
  });

  app.post('/v1/agent/status', async (req, reply) => {
    const host = await requireHost(api.auth, req);
    const status = body(StatusBody, req);
    await api.recordReport({ host, status, reportedAt: now().toISOString() });
    return reply.code(204).send();
  });
}
