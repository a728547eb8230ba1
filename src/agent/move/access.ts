/**
 * The source host's side of a cutover: the authorized_keys file (--move-authorized-keys) that
 * sshd reads for the move user holds exactly the keys the controller passes on, each let in
 * read-only to one volume of the moving unit (rrsync -ro), from the target's address only, with
 * nothing else allowed (`restrict`). Written whole when it changes; empty when no move copies.
 */
import { existsSync } from 'node:fs';
import type { MoveAccessGrant } from '../../core/render/move-orders.js';
import { writeFileIfChanged } from '../../lib/fs.js';

/** rrsync as Debian's rsync package installs it. */
export const RRSYNC = existsSync('/usr/bin/rrsync') ? '/usr/bin/rrsync' : 'rrsync';

const KEY = /^(ssh-ed25519|ecdsa-sha2-nistp256|ssh-rsa) [A-Za-z0-9+/]+=*$/;
const ADDRESS = /^[0-9A-Fa-f.:]+$/;

/** The file's text: one line per grant whose key, address and path are safe to write. */
export function moveAuthorizedKeys(grants: readonly { grant: MoveAccessGrant; path: string }[]): { text: string; refused: string[] } {
  const lines: string[] = [];
  const refused: string[] = [];
  for (const { grant: g, path } of grants) {
    const key = g.key.trim().split(/\s+/).slice(0, 2).join(' ');
    if (!KEY.test(key) || (g.from !== undefined && !ADDRESS.test(g.from)) || !path.startsWith('/') || /["\\\s]/.test(path)) {
      refused.push(`${g.migration} ${g.unit}/${g.volume}`);
      continue;
    }
    const from = g.from ? `from="${g.from}",` : '';
    lines.push(`restrict,${from}command="${RRSYNC} -ro ${path.replace(/\/+$/, '')}/" ${key} hafen-move:${g.migration}:${g.unit}:${g.volume}`.replace(/[^\x20-\x7e]/g, ''));
  }
  return { text: ['# Managed by the hafen agent (moves between sites): edits are overwritten.', ...lines, ''].join('\n'), refused };
}

/** Writes the file when it differs (0644: sshd reads it as the move user). Returns whether it changed. */
export const installMoveAccess = (file: string, text: string): Promise<boolean> => writeFileIfChanged(file, text, 0o644);
