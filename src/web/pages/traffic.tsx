import { count } from '../format.js';
import { BarChart, Page } from '../parts';
import { usePoll } from '../poll.js';

/** Traffic: requests per day for the last month, the average week, and peak concurrent connections. */
export function TrafficPage() {
  const polled = usePoll((c) => c.trafficReport({ days: 30 }), [], 60_000);
  return (
    <Page title="Traffic" polled={polled}>
      {(r) => (
        <>
          <p>
            <span data-field="total">{count(r.totalRequests)}</span> requests through the edge proxies from {r.from.slice(0, 10)} to {r.to.slice(0, 10)}
            {r.peak ? <>; peak <span data-field="peak">{count(r.peak.connections)}</span> concurrent connections on {r.peak.day.slice(0, 10)}</> : null}.
          </p>
          {r.totalRequests === 0 ? <p class="muted">No traffic recorded yet: the edge proxies report it (hafen proxy).</p> : null}
          <BarChart title="Requests per day, last 30 days" unit="requests" values={r.days.map((d) => ({ label: d.day.slice(5, 10), value: d.requests }))} />
          <BarChart title="The average week (requests per weekday)" unit="requests" values={r.weekdays.map((w) => ({ label: w.weekday, value: Math.round(w.averageRequests) }))} />
          <BarChart title="Peak concurrent connections per day" unit="connections" values={r.peaks.map((p) => ({ label: p.day.slice(5, 10), value: p.connections }))} />
          <table data-table="days">
            <thead><tr><th>Day</th><th>Requests</th><th>Errors</th></tr></thead>
            <tbody>{[...r.days].reverse().slice(0, 7).map((d) => <tr key={d.day} data-day={d.day.slice(0, 10)}><td>{d.day.slice(0, 10)}</td><td>{count(d.requests)}</td><td>{count(d.errors)}</td></tr>)}</tbody>
          </table>
        </>
      )}
    </Page>
  );
}
