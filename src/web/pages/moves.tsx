import { formatBytes, percent, when } from '../format.js';
import { calendar, consentByCustomer, progress } from '../moves-view.js';
import { Page, State } from '../parts';
import { usePoll } from '../poll.js';

/** Migrations: running moves with their progress, the calendar of planned ones, consent per customer. */
export function MovesPage() {
  const polled = usePoll((c) => c.moves({ limit: 1000 }));
  return (
    <Page title="Migrations" polled={polled}>
      {({ migrations }) => {
        if (migrations.length === 0) return <p class="muted">No moves between sites planned (hafen migrate plan, then hafen migrate propose).</p>;
        const running = migrations.filter((m) => m.state === 'running');
        const days = calendar(migrations.filter((m) => m.state === 'proposed' || m.state === 'accepted' || m.state === 'another-window'));
        return (
          <>
            <h2>Running <span data-field="running">{running.length}</span></h2>
            {running.length === 0 ? <p class="muted">No move runs now.</p> : (
              <table data-table="running">
                <thead><tr><th>App</th><th>Move</th><th>Phase</th><th>Progress</th></tr></thead>
                <tbody>
                  {running.map((m) => {
                    const p = progress(m);
                    return (
                      <tr key={m.id} data-migration={m.id}>
                        <td><a href={`#/app/${m.app}`}>{m.app}</a></td><td>{m.move.from} → {m.move.to} ({m.move.strategy})</td><td>{p.phase}</td>
                        <td>{p.planned !== undefined ? <progress max={Math.max(1, p.planned)} value={Math.min(p.copied ?? 0, p.planned)} aria-label={`${m.app} copied`} /> : null} {p.planned !== undefined ? `${formatBytes(p.copied ?? 0)} of ${formatBytes(p.planned)}` : ''}{p.downtimeSeconds !== undefined ? `, down ${p.downtimeSeconds} s` : ''}</td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            )}
            <h2>Calendar</h2>
            {days.length === 0 ? <p class="muted">Nothing planned.</p> : days.map((d) => (
              <div key={d.day} class="card" data-day={d.day}>
                <h3>Night of {d.day}</h3>
                <ul>{d.moves.map((m) => <li key={m.id} data-migration={m.id}>{when(m.move.start)} <a href={`#/app/${m.app}`}>{m.app}</a> ({m.customer}) {m.move.from} → {m.move.to}, {m.move.strategy}: <State state={m.state} /></li>)}</ul>
              </div>
            ))}
            <h2>Consent per customer</h2>
            <table data-table="consent">
              <thead><tr><th>Customer</th><th>Waiting for an answer</th><th>Accepted</th><th>Declined</th><th>Other</th></tr></thead>
              <tbody>{consentByCustomer(migrations).map((r) => <tr key={r.customer} data-customer={r.customer}><td>{r.customer}</td><td>{r.waiting}</td><td>{r.accepted}</td><td>{r.declined}</td><td>{r.other}</td></tr>)}</tbody>
            </table>
            <p class="muted">{percent(migrations.filter((m) => m.state !== 'proposed').length / migrations.length)} of the moves have an answer.</p>
          </>
        );
      }}
    </Page>
  );
}
