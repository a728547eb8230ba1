import { healthRows, replicaRows } from '../app-view.js';
import { age, formatBytes, secondsUntil, when } from '../format.js';
import { BarChart, NotConfigured, Page, State } from '../parts';
import { usePoll } from '../poll.js';
import { savedCaller } from '../session.js';

/**
 * An app: its replicas and where they run, its health as each site sees it, its traffic, its
 * backups (last snapshot, next run, retention, last drill), recent events and moves. A
 * customer's login sees the same page for its own apps, without backups and monitoring events.
 */
export function AppPage({ app }: { app: string }) {
  const scoped = savedCaller()?.customer !== undefined;
  const polled = usePoll(async (c) => {
    const status = await c.status();
    // An app that is not there (or not the customer's) is said so, not asked about.
    if (!status.apps.some((a) => a.app === app)) return { status, checks: { checks: [] }, traffic: undefined, moves: [], team: undefined };
    const [checks, traffic, moves] = await Promise.all([c.checks({ app }), c.trafficReport({ app, days: 30 }), c.moves({ limit: 500 })]);
    const team = scoped ? undefined : await Promise.all([c.backups({ app, limit: 5 }), c.backupPlan(app), c.events({ kind: 'check', limit: 500 })]);
    return { status, checks, traffic, moves: moves.migrations.filter((m) => m.app === app), team };
  }, [app]);
  return (
    <Page title={`App ${app}`} polled={polled}>
      {({ status, checks, traffic, moves, team }) => {
        const a = status.apps.find((x) => x.app === app);
        if (!a || !traffic) return <p class="error" role="alert">No app "{app}" in revision {status.revision ?? 'none'}{scoped ? ' among your services' : ''}. <a href={scoped ? '#/customer' : '#/fleet'}>{scoped ? 'Your services' : 'The fleet'}</a></p>;
        const r = replicaRows(a);
        const sites = status.sites.map((s) => s.site);
        const ids = new Set(checks.checks.map((x) => x.id));
        const backup = team?.[0].apps[0];
        const plan = team?.[1].apps[0];
        const events = (team?.[2].events ?? []).filter((e) => ids.has(e.subject)).slice(0, 20);
        return (
          <>
            <p>Customer {a.customer}{a.critical ? ' · critical' : ''} · {a.domains.join(', ') || 'no domains'}</p>
            <h2>Replicas <span data-field="replicas">{r.running} of {r.desired}</span> running</h2>
            <table data-table="replicas">
              <thead><tr><th>Unit</th><th>Site</th><th>Host</th><th>State</th><th>Check</th><th>Restarts</th></tr></thead>
              <tbody>
                {r.units.map((u) => (
                  <tr key={u.unit} data-unit={u.unit}>
                    <td>{u.unit}</td><td><a href={`#/site/${u.site}`}>{u.site}</a></td><td>{u.host || '–'}</td>
                    <td><State state={u.state} />{u.lastError ? <span class="muted"> {u.lastError}</span> : null}</td>
                    <td><State state={u.check} /></td><td>{u.restarts}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <h2>Health as each site sees it</h2>
            {checks.checks.length === 0 ? <NotConfigured what="Monitoring" how="Run a prober at each site (hafen agent --probe)." /> : (
              <table data-table="health">
                <thead><tr><th>Check</th><th>State</th>{sites.map((s) => <th key={s}>from {s}</th>)}</tr></thead>
                <tbody>
                  {healthRows(checks.checks, sites).map((h) => (
                    <tr key={h.check} data-check={h.check}><td>{h.title}</td><td><State state={h.state} /></td>{sites.map((s) => <td key={s}><State state={h.sites[s]!} /></td>)}</tr>
                  ))}
                </tbody>
              </table>
            )}
            <h2>Traffic</h2>
            {traffic.totalRequests === 0 ? <p class="muted">No requests through the edge proxies in the last 30 days.</p> : <BarChart title="Requests per day, last 30 days" unit="requests" values={traffic.days.map((d) => ({ label: d.day.slice(5, 10), value: d.requests }))} />}
            {team ? (
              <>
                <h2>Backups</h2>
                {!backup ? <NotConfigured what="Backups" how="Give the app a backup policy in the fleet (backup: …)." /> : (
                  <dl data-section="backups">
                    <dt>Last snapshot</dt><dd data-field="last-snapshot">{backup.lastSuccess ? `${when(backup.lastSuccess.finishedAt)} (snapshot ${backup.lastSuccess.snapshotId ?? '–'}${backup.lastSuccess.totalBytes !== undefined ? `, ${formatBytes(backup.lastSuccess.totalBytes)}` : ''})` : 'none yet'}</dd>
                    <dt>Next run due by</dt><dd>{backup.dueBy ? `${when(backup.dueBy)} (in ${age(secondsUntil(backup.dueBy))})` : '–'}</dd>
                    <dt>Schedule</dt><dd>{backup.schedule} to {backup.repository ?? 'no repository'}{backup.copy ? `, copied to ${backup.copy}` : ''}</dd>
                    <dt>Retention</dt><dd>{plan ? Object.entries(plan.keep).map(([k, v]) => `${k} ${v}`).join(', ') : '–'}</dd>
                    <dt>Last drill</dt><dd>{backup.lastDrill ? `${backup.lastDrill.state} ${when(backup.lastDrill.finishedAt ?? backup.lastDrill.createdAt)}` : 'none yet'}</dd>
                    {backup.failingSince ? <><dt>Failing since</dt><dd class="error">{when(backup.failingSince)}</dd></> : null}
                    {backup.problem ? <><dt>Problem</dt><dd class="error">{backup.problem}</dd></> : null}
                  </dl>
                )}
                <h2>Recent events</h2>
                {events.length === 0 ? <p class="muted">No check changed state recently.</p> : (
                  <ul data-list="events">{events.map((e) => <li key={e.id}>{when(e.at)} <State state={e.state} /> {e.message}</li>)}</ul>
                )}
              </>
            ) : null}
            <h2>Moves</h2>
            {moves.length === 0 ? <p class="muted">No moves between sites.</p> : (
              <ul data-list="moves">{moves.map((m) => <li key={m.id}>{when(m.move.start)}: {m.move.from} → {m.move.to} ({m.move.strategy}), <State state={m.state} /></li>)}</ul>
            )}
          </>
        );
      }}
    </Page>
  );
}
