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
