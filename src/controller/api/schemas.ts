/** Request bodies of the API: one zod schema each, used to validate requests and to publish /openapi.json. */
import { printable } from '../../lib/terminal-text.js';
import { z } from 'zod';
import { AllocationRecordSchema } from '../../core/ipam/record.js';
import { HostReportSchema } from '../../core/report/host-report.js';
import { ProjectsBody } from '../projects.js';

export const Sources = z
  .array(z.object({ name: z.string().min(1).describe('File name, shown in problems'), text: z.string().describe('YAML text of the file') }))
  .min(1)
  .describe('The fleet files, as read from disk');

const SiteRollout = {
  site: z.string().min(1).optional().describe('Roll out to this site only, in stages (a canary host, then batches), each gated on the hosts reporting healthy; the other sites\' hosts that change keep their current state'),
  batch: z.number().int().positive().optional().describe('Hosts per batch after the canary (default: a quarter of the rest)'),
  gateTimeoutSeconds: z.number().int().positive().max(86_400).optional().describe('How long a stage may take to pass its gate before the rollout stops and rolls back (default 300)'),
};
const Allocations = AllocationRecordSchema.optional().describe('The fleet\'s IPAM allocation record (ipam.lock as data): addresses come from it; without it, from the newest revision\'s record');
export const PlanBody = z.object({ sources: Sources, projects: ProjectsBody.optional(), site: SiteRollout.site, allocations: Allocations });
export const ApplyBody = z.object({
  sources: Sources,
  projects: ProjectsBody.optional(),
  parent: z.number().int().positive().nullable().describe('The revision the plan was made against (null for the first): the revision check'),
  message: z.string().max(500).optional().describe('Why: kept in the revision history'),
  allowDestroy: z.boolean().optional().describe('Apply although it removes every host or stops more than a quarter of the running replicas (refused otherwise, HAFEN_APPLY_DESTROYS)'),
  allocations: Allocations,
  ...SiteRollout,
});
export const RollbackBody = z.object({
  to: z.number().int().positive().describe('Revision whose fleet is applied again'),
  allowDestroy: z.boolean().optional().describe('Roll back although it removes every host or stops more than a quarter of the running replicas'),
});
export const JoinBody = z.object({ token: z.string().min(10).describe('One-time join token from POST /v1/hosts/{host}/join-token') });
/** A host's report (core/report/host-report.ts: one schema for the API and every layer's type). */
export const StatusBody = HostReportSchema;
const RoleSchema = z.enum(['admin', 'operator', 'viewer']);
const CustomerScope = z.string().min(1).max(100).describe("Scope to this customer (viewer role only): the token or user reads only the customer's apps, uptime, traffic and moves");
export const TokenBody = z.object({ name: z.string().min(1).max(100).refine(printable, 'a token name is printable text: no control characters or line breaks'), role: RoleSchema, customer: CustomerScope.optional() });
// The password is never echoed; its length is checked by the route (lib/password MIN_PASSWORD).
export const UserBody = z.object({ role: RoleSchema, customer: CustomerScope.optional(), password: z.string().max(1024).describe('At least 12 characters; stored as a scrypt hash') });
export const LoginBody = z.object({ name: z.string().min(1).max(100), password: z.string().max(1024) });
// The value is checked for size and content by the controller, whose errors never echo it.
export const SecretBody = z.object({ value: z.string().describe('The secret value (never returned by any route)') });
export const ProxyStatusBody = z.object({
  site: z.string().describe('The site the proxy serves at'),
  listen: z.string().optional().describe('HOST:PORT the proxy takes plain HTTP on (probes through the proxies go there)'),
  tlsListen: z.string().optional().describe('HOST:PORT the proxy takes HTTPS on, when it has certificates'),
  revision: z.number().int().min(0).describe('Route table revision the proxy runs'),
  replicas: z
    .array(z.object({ id: z.string(), site: z.string(), host: z.string(), up: z.boolean(), ejected: z.boolean(), inflight: z.number() }))
    .describe('Replica health as this proxy sees it'),
  traffic: z
    .array(z.object({ app: z.string(), minute: z.iso.datetime().describe('Start of the minute (UTC)'), requests: z.number().int().min(0), errors: z.number().int().min(0) }))
    .max(200_000)
    .optional()
    .describe('Requests counted since the last report, per app and minute'),
  connections: z
    .array(z.object({ minute: z.iso.datetime().describe('Start of the minute (UTC)'), peak: z.number().int().min(0) }))
    .max(200_000)
    .optional()
    .describe('Most client connections open at once, per minute'),
});

export const ProbeResultsBody = z.object({
  results: z
    .array(
      z.object({
        check: z.string().min(1).describe('Check id, e.g. "replica:shop-r1"'),
        ok: z.boolean(),
        at: z.iso.datetime().describe('When the probe started'),
        ms: z.number().min(0).describe('How long it took'),
        error: z.string().max(2000).optional().describe('Why it failed, in words'),
      }),
    )
    .max(200_000)
    .describe('Probe results since the last delivery, oldest first'),
});

export const SilenceBody = z
  .object({
    matchers: z
      .object({ customer: z.string().min(1).optional(), app: z.string().min(1).optional(), site: z.string().min(1).optional(), check: z.string().min(1).optional() })
      .strict()
      .refine((m) => Object.values(m).some((v) => v !== undefined), 'name at least one of customer, app, site or check')
      .describe('Alerts whose labels equal every one given are silenced'),
    startsAt: z.iso.datetime().optional().describe('Default: now'),
    endsAt: z.iso.datetime().optional().describe('When it ends (or give duration)'),
    duration: z.string().regex(/^\s*\d+\s*(m|h|d)\s*$/, 'must be a duration like "90m", "2h" or "1d"').optional().describe('How long from the start, e.g. "2h"'),
    comment: z.string().min(1, 'say why (it is shown with every alert it mutes)').max(1000),
  })
  .refine((b) => (b.endsAt === undefined) !== (b.duration === undefined), 'give exactly one of endsAt or duration');

const TaskKind = z.enum(['run', 'restore', 'drill', 'check']);
export const BackupTaskBody = z.object({
  kind: TaskKind.describe('run: back up now; restore: restore a snapshot into scratch space on the job host; drill: restore the newest snapshot, verify it, measure RTO and RPO, remove it; check: restic check with the next part of the data'),
  snapshot: z.string().regex(/^([0-9a-f]{8,64}|latest)$/, 'must be a snapshot id (8 to 64 hex digits) or "latest"').optional().describe('restore: the snapshot (default latest)'),
  into: z.enum(['scratch', 'app']).optional().describe('restore: scratch space on the job host (default), or back into the app, which is stopped meanwhile; its data before is kept aside'),
  from: z.enum(['repository', 'copy']).optional().describe("restore: read the snapshot from the app's repository (default) or from its copy at the copyTo site"),
  to: z.string().min(1).max(200).optional().describe("restore: restore into scratch space on this host instead of the job's host (its agent is let in to the repository while the task is open)"),
});
export const BackupTaskReportsBody = z.object({
  tasks: z
    .array(
      z.object({
        id: z.string().min(1).max(200),
        app: z.string().min(1),
        kind: TaskKind,
        state: z.enum(['running', 'done', 'failed']),
        startedAt: z.iso.datetime(),
        finishedAt: z.iso.datetime().optional(),
        result: z
          .object({
            snapshotId: z.string().optional(),
            snapshotTime: z.string().optional(),
            path: z.string().optional(),
            files: z.number().int().min(0).optional(),
            bytes: z.number().min(0).optional(),
            seconds: z.number().min(0).optional(),
            dataAgeSeconds: z.number().optional(),
            subset: z.string().optional(),
            downtimeSeconds: z.number().min(0).optional(),
            keptAside: z.array(z.string()).optional(),
            verifyOutput: z.string().max(4000).optional(),
          })
          .optional(),
        error: z.object({ kind: z.string(), message: z.string().max(4000) }).optional(),
      }),
    )
    .max(1000)
    .describe('Task reports not delivered yet, oldest first'),
});
export const BackupRunsBody = z.object({
  runs: z
    .array(
      z.object({
        app: z.string().min(1),
        unit: z.string().min(1),
        repository: z.string().min(1).describe('The repository URL (never a password)'),
        startedAt: z.iso.datetime(),
        finishedAt: z.iso.datetime(),
        ok: z.boolean(),
        snapshotId: z.string().optional(),
        filesNew: z.number().int().min(0).optional(),
        filesChanged: z.number().int().min(0).optional(),
        dataAdded: z.number().min(0).optional().describe('Bytes the snapshot added to the repository'),
        totalBytes: z.number().min(0).optional(),
        seconds: z.number().min(0).optional(),
        forgotten: z.number().int().min(0).optional().describe('Snapshots the keep policy removed in this run'),
        pruned: z.boolean().optional(),
        error: z.object({ kind: z.string(), message: z.string().max(4000) }).optional(),
      }),
    )
    .max(1000)
    .describe('Backup runs not reported yet, oldest first'),
});

const SiteId = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'must be a site id');
export const MoveProposeBody = z
  .object({
    apps: z.array(z.string().min(1).max(200)).min(1).max(10_000).optional().describe('apps to move'),
    share: z.number().gt(0).max(1).optional().describe('instead of apps: this share of the customers (weighted, 0 to 1), those with the least data first'),
    to: SiteId.describe('the site they move to'),
    from: SiteId.optional().describe('the site they leave (needed for an app at several other sites)'),
    start: z.iso.datetime({ offset: true }).optional().describe('plan from this time (default now)'),
    days: z.number().int().min(1).max(366).optional().describe('days ahead to plan into (default 28)'),
  })
  .refine((b) => (b.apps === undefined) !== (b.share === undefined), 'give either apps or share');
const Decision = z.enum(['accept', 'decline', 'another-window']).describe('accept: the move may run as proposed; decline: it does not; another-window: not then, propose another time');
export const FailoverBody = z.object({
  to: z.string().trim().min(1).max(100).describe('the site whose standby of the app takes over'),
});
export const MoveConsentBody = z.object({
  decision: Decision,
  by: z.string().trim().min(1).max(200).refine(printable, 'a name is printable text: no control characters or line breaks').describe("who at the customer answered (an operator records the customer's answer)"),
  note: z.string().max(2000).optional(),
});
export const ConsentLinkBody = z.object({
  decision: Decision,
  by: z.string().trim().max(200).refine(printable, 'a name is printable text: no control characters or line breaks').optional().describe('your name'),
  note: z.string().max(2000).optional(),
});
