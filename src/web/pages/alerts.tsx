import { when } from '../format.js';
import { Page, State } from '../parts';
import { usePoll } from '../poll.js';

/** Alerts: what fires now (each linked to its app or site), the silences, recent notifications. */
export function AlertsPage() {
  const polled = usePoll(async (c) => {
    const [alerts, silences, notifications] = await Promise.all([c.alerts(), c.silences(), c.notifications(30)]);
    return { alerts: alerts.alerts, silences: silences.silences, notifications: notifications.notifications };
  });
  return (
    <Page title="Alerts" polled={polled}>
      {({ alerts, silences, notifications }) => (
        <>
          <h2>Firing <span data-field="firing">{alerts.length}</span></h2>
          {alerts.length === 0 ? <p class="muted">Nothing fires.</p> : (
            <table data-table="alerts">
              <thead><tr><th>Severity</th><th>Alert</th><th>About</th><th>Since</th><th>Muted by</th></tr></thead>
              <tbody>
                {alerts.map((a) => (
                  <tr key={a.key} data-alert={a.key}>
                    <td><span class={`severity-${a.severity}`}>{a.severity}</span></td>
                    <td>{a.summary}</td>
                    <td>
                      {a.labels.app ? <a href={`#/app/${a.labels.app}`} data-link="app">{a.labels.app}</a> : a.labels.site ? <a href={`#/site/${a.labels.site}`}>site {a.labels.site}</a> : a.labels.host ?? '–'}
                    </td>
                    <td>{when(a.since)}</td>
                    <td>{a.silencedBy ? `silence ${a.silencedBy}` : a.inhibitedBy ? a.inhibitedBy : ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <h2>Silences</h2>
          {silences.length === 0 ? <p class="muted">No active silences (hafen alerts silence).</p> : (
            <ul data-list="silences">{silences.map((s) => <li key={s.id}>{Object.entries(s.matchers).map(([k, v]) => `${k}=${v}`).join(' ')} until {when(s.endsAt)} by {s.createdBy}: {s.comment}</li>)}</ul>
          )}
          <h2>Recent notifications</h2>
          {notifications.length === 0 ? <p class="muted">None sent yet.</p> : (
            <table data-table="notifications">
              <thead><tr><th>When</th><th>Receiver</th><th>What</th><th>Delivery</th></tr></thead>
              <tbody>{notifications.map((n) => <tr key={n.id}><td>{when(n.createdAt)}</td><td>{n.receiver}</td><td>{n.title}</td><td><State state={n.status} />{n.lastError ? ` (${n.lastError})` : ''}</td></tr>)}</tbody>
            </table>
          )}
        </>
      )}
    </Page>
  );
}
