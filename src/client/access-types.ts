/** Who calls the API: tokens, users and login sessions as the API shows them. */
export type Role = 'admin' | 'operator' | 'viewer';
/** Who a token belongs to (GET /v1/whoami). */
export interface Caller {
  name: string;
  role: Role;
  customer?: string;
  expiresAt?: string;
}
export interface UserListing {
  name: string;
  role: Role;
  customer?: string;
  createdAt: string;
  updatedAt: string;
}

/** One entry of the audit history (GET /v1/audit): who did what when, never a secret value. */
export interface AuditEntry {
  id: number;
  at: string;
  /** Who: a token's name ("user:anna" for a login session), "host NAME" for an agent joining, "consent link" for a customer's answer. */
  actor: string;
  /** What, dotted: apply, rollback, token.create, secret.set, host.rejoin-token, move.consent, … */
  action: string;
  /** What it was done to: a revision number, a token or user name, a host, a move id, … */
  subject: string;
  /** The customer it concerns, when one does: that customer's scoped tokens see it. */
  customer?: string;
  detail?: Record<string, string | number | boolean>;
}

/** Filters of the audit history. */
export interface AuditFilter {
  since?: string;
  /** Exclusive. */
  until?: string;
  actor?: string;
  /** An action, or a prefix ending in "." (token. = every token action). */
  action?: string;
  subject?: string;
  customer?: string;
  limit?: number;
}
