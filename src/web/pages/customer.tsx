import { appStateAt } from '../fleet-view.js';
import { when } from '../format.js';
import { Page, State } from '../parts';
import { usePoll } from '../poll.js';

/** What a customer's login sees: its apps, their uptime over 30 days, and the planned maintenance (moves). */
export function CustomerPage({ customer }: { customer: string }) {
  const polled = usePoll(async (c) => {
    const [status, uptime, moves] = await Promise.all([c.status(), c.uptime({ days: 30 }), c.moves({ limit: 200 })]);
    return { status, uptime, moves: moves.migrations };
  });
  return (
    <Page title={`Your services (${customer})`} polled={polled}>
      {({ status, uptime, moves }) => {
        const up = new Map(uptime.apps.map((a) => [a.app, a.availability]));
        const total = uptime.customers.find((x) => x.customer === customer)?.availability ?? null;
        const planned = moves.filter((m) => m.state === 'proposed' || m.state === 'accepted' || m.state === 'another-window' || m.state === 'running');
        return (
          <>
            <p>Availability over the last 30 days: <strong data-field="availability">{total === null ? 'not measured yet' : `${total.toFixed(3)}%`}</strong></p>
            <table data-table="apps">
              <thead><tr><th>App</th><th>State</th><th>Replicas running</th><th>Availability (30 days)</th></tr></thead>
              <tbody>
                {status.apps.map((a) => {
                  const av = up.get(a.app);
                  return (
                    <tr key={a.app} data-app={a.app}>
                      <td><a href={`#/app/${a.app}`}>{a.app}</a></td>
                      <td><State state={a.units.length ? appStateAt(a.units) : 'down'} /></td>
                      <td>{a.running} of {a.desired}</td>
                      <td>{av == null ? 'not measured yet' : `${av.toFixed(3)}%`}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
            <h2>Planned maintenance</h2>
            {planned.length === 0 ? <p class="muted">None planned.</p> : (
              <ul data-list="maintenance">
                {planned.map((m) => <li key={m.id}>{when(m.move.start)}: {m.app} moves from {m.move.from} to {m.move.to} ({m.move.strategy === 'live' ? 'no downtime' : 'short downtime'}), <State state={m.state} /></li>)}
              </ul>
            )}
          </>
        );
      }}
    </Page>
  );
}
