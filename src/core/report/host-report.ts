/**
 * A host's report: what its agent sends (`POST /v1/agent/status`) and the controller keeps. One
 * zod schema serves the API's validation and /openapi.json, and every layer — agent, client,
 * store, controller, core — reads its types from here, so nothing casts a report to a shape of
 * its own.
 */
import { z } from 'zod';

const SSH_ED25519 = /^ssh-ed25519 [A-Za-z0-9+/]+=* ?[^\n\r]*$/;

export const UnitReportSchema = z.object({
  name: z.string(),
  app: z.string(),
  state: z.string().describe('starting, running, backoff, failed, stopped, or standby (a standby app\'s unit kept stopped with its copy of the data)'),
  hash: z.string().describe('Hash of the desired unit the driver runs'),
  restarts: z.number(),
  lastError: z.string().optional(),
  since: z.string().optional(),
  healthy: z.boolean().optional().describe("Result of the unit's health check, when it has one and runs"),
  wal: z
    .string()
    .regex(/^[0-9A-F]{1,8}\/[0-9A-F]{1,8}$/)
    .optional()
    .describe("PostgreSQL units: a stopped writer's last checkpoint, a standby's WAL received so far (an LSN): a switchover promotes once the standby has the stopped writer's last"),
});

export const RepositorySpaceSchema = z
  .object({
    path: z.string().max(4096),
    total: z.number().min(0).optional(),
    free: z.number().min(0).optional(),
    error: z.string().max(200).optional(),
  })
  .describe('On a backup host (hafen agent --repositories DIR): the size and free space of the disk holding the repositories, in bytes, or why they cannot be read');

export const FirewallReportSchema = z
  .object({
    hash: z.string().max(200).describe('The hash of the ruleset this is about'),
    state: z.enum(['confirming', 'confirmed', 'rolled-back', 'failed']).describe('confirming: applied, waiting to reach the controller; rolled-back: the previous one is back; failed: nft refused it, nothing changed'),
    at: z.string().max(64),
    confirmSeconds: z.number().min(0).optional().describe('How long reaching the controller took after applying (confirmed)'),
    error: z.string().max(2000).optional(),
    liveDigest: z.string().max(200).optional().describe('sha256 of `nft list table inet hafen` right after the ruleset was confirmed'),
    drifted: z.boolean().optional().describe('The live table no longer lists as it did when confirmed (edited by hand or another tool; checked every heartbeat)'),
    generation: z.number().int().min(0).optional().describe('The re-apply generation this outcome belongs to (hafen firewall reapply raises it)'),
  })
  .describe('With hafen agent --firewall: what became of the newest ruleset (confirmed, rolled back after not reaching the controller, refused by nft)');

export const CopyReportSchema = z.object({
  id: z.string().max(100).describe("The order's copy id"),
  unit: z.string().max(200),
  state: z.enum(['running', 'done', 'failed']),
  bytes: z.number().min(0).optional().describe('Bytes that came over the wire'),
  seconds: z.number().min(0).optional(),
  identical: z.boolean().optional().describe('Final copies: whether the checksums of every file matched afterwards'),
  differences: z.array(z.string().max(4096)).max(10).optional().describe('The first files that differ'),
  error: z.string().max(2000).optional(),
  copiedAt: z.string().max(64).optional().describe("Repeated copies (a standby's): when the newest complete copy began, so the copy holds the writer's data as of then"),
});

export const FencedReportSchema = z
  .object({
    unit: z.string().max(200),
    app: z.string().max(200),
    term: z.number().int().min(0).describe('The term the unit wrote in before it was fenced'),
    path: z.string().max(4096).describe('Where its data was kept aside on this host'),
    at: z.string().max(64),
  })
  .describe('A writer that came back after its app failed over elsewhere: its data as it was then, kept aside (not merged) until the operator removes the directory');

export const MoveReportSchema = z
  .object({
    keys: z
      .array(z.object({ migration: z.string().max(100), unit: z.string().max(200), volume: z.string().max(200), key: z.string().max(200).regex(SSH_ED25519, 'must be one OpenSSH ed25519 public key line') }))
      .max(1000)
      .describe('The keys it made, one per move, unit and volume'),
    copies: z.array(CopyReportSchema).max(1000),
  })
  .describe("On a cutover's target host: the keys it made for the copies (one per move, unit and volume; the source host lets them in) and the copies asked of it");

export const AgentReportSchema = z.object({
  version: z.string().optional(),
  driver: z.string().optional(),
  address: z.string().max(255).optional().describe("Where this host's units listen, when its agent was told (--address); proxies use it"),
  sshKey: z.string().max(200).regex(SSH_ED25519, 'must be one OpenSSH ed25519 public key line').optional().describe("The agent's public ssh key (ed25519): backup hosts let it in for its backup jobs"),
  repositories: RepositorySpaceSchema.optional(),
  firewall: FirewallReportSchema.optional(),
  moves: MoveReportSchema.optional(),
  fenced: z.array(FencedReportSchema).max(1000).optional(),
});

export const HostReportSchema = z.object({
  units: z.array(UnitReportSchema),
  appliedHash: z.string().optional().describe('Hash of the desired state the agent has applied'),
  agent: AgentReportSchema.optional(),
});

export type UnitReport = z.infer<typeof UnitReportSchema>;
export type RepositorySpaceReport = z.infer<typeof RepositorySpaceSchema>;
export type FirewallReport = z.infer<typeof FirewallReportSchema>;
export type CopyReport = Omit<z.infer<typeof CopyReportSchema>, 'unit'>;
export type MoveAgentReport = z.infer<typeof MoveReportSchema>;
export type FencedReport = z.infer<typeof FencedReportSchema>;
export type AgentReport = z.infer<typeof AgentReportSchema>;

/** A host's report as the controller keeps it: as sent, stamped with when it first showed the applied state. */
export type HostReport = z.infer<typeof HostReportSchema> & {
  /** When the controller first saw `appliedHash` (set by the controller, not the agent). */
  appliedAt?: string;
};
