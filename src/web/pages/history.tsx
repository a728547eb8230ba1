import type { AuditEntry } from '../../client/access-types.js';
import { when } from '../format.js';
import { Page } from '../parts';
import { usePoll } from '../poll.js';

const detailText = (d: AuditEntry['detail']) => (d ? Object.entries(d).map(([k, v]) => `${k}: ${String(v)}`).join(', ') : '');

/** History: who did what when (the audit history), newest first. */
export function HistoryPage() {
  const polled = usePoll(async (c) => (await c.audit({ limit: 200 })).entries);
  return (
    <Page title="History" polled={polled}>
      {(entries) =>
        entries.length === 0 ? <p class="muted">Nothing recorded yet.</p> : (
          <table data-table="history">
            <thead><tr><th>When</th><th>Who</th><th>What</th><th>To what</th><th>Details</th></tr></thead>
            <tbody>
              {entries.map((e) => (
                <tr key={e.id} data-action={e.action}>
                  <td>{when(e.at)}</td>
                  <td>{e.actor}</td>
                  <td>{e.action}</td>
                  <td>{e.subject}{e.customer ? ` (${e.customer})` : ''}</td>
                  <td>{detailText(e.detail)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )
      }
    </Page>
  );
}
