/** Checks for a customer scope: viewers only, and a customer the newest revision knows. */
import { HafenError } from '../../lib/errors.js';
import type { Snapshot } from '../snapshot.js';
import type { Role } from '../store/store.js';

export async function checkScope(current: () => Promise<Snapshot | undefined>, role: Role, customer: string | undefined): Promise<void> {
  if (customer === undefined) return;
  if (role !== 'viewer') throw new HafenError('HAFEN_API_BAD_REQUEST', `a token or user scoped to customer "${customer}" must have the viewer role, not ${role}`);
  const fleet = (await current())?.fleet;
  if (!fleet?.customers.some((c) => c.id === customer)) throw new HafenError('HAFEN_CUSTOMER_NOT_FOUND', `no customer "${customer}" in the newest revision${fleet ? ` (customers: ${fleet.customers.slice(0, 10).map((c) => c.id).join(', ')}${fleet.customers.length > 10 ? ', …' : ''})` : ''}`);
}
