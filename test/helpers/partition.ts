/**
 * Cutting a loopback "host" off from the others, as a partition does: an nftables table of the
 * caller's own drops every packet between its address and any other; deleting the table heals it.
 */
import { run } from './system.js';

/** Drops the packets between `address` and every other address (table inet `table`). */
export function cutOff(table: string, address: string): void {
  const r = run('nft', ['-f', '-'], { input: `table inet ${table} {\n chain out {\n  type filter hook output priority 0; policy accept;\n  ip saddr ${address} ip daddr != ${address} drop\n  ip daddr ${address} ip saddr != ${address} drop\n }\n}\n` });
  if (r.status !== 0) throw new Error(`nft: ${r.stderr}`);
}

/** Heals every cut made in `table` (nothing when there is none). */
export function healCuts(table: string): void {
  run('nft', ['delete', 'table', 'inet', table]);
}
