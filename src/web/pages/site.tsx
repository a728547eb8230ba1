import { age } from '../format.js';
import { Page, State } from '../parts';
import { usePoll } from '../poll.js';

/** A site: its segments and addresses, its hosts with their units and heartbeat age. */
export function SitePage({ site }: { site: string }) {
  const polled = usePoll(async (c) => {
    const [report, status] = await Promise.all([c.site(site), c.status()]);
    return { report, status };
  }, [site]);
  return (
    <Page title={`Site ${site}`} polled={polled}>
      {({ report, status }) => {
        const state = status.sites.find((s) => s.site === site);
        const hosts = new Map(status.hosts.map((h) => [h.host, h]));
        const units = status.apps.flatMap((a) => a.units.map((u) => ({ ...u, app: a.app })));
        return (
          <>
            <p>
              {report.name} · {report.country} · {report.provider} · facility {report.facility} {state ? <State state={state.state} /> : null}
            </p>
            <p class="muted">Prefixes: {report.prefixes.join(', ') || 'none'} · proxies: {report.proxies.join(', ') || 'none'}</p>
            <h2>Segments</h2>
            <table data-table="segments">
              <thead><tr><th>Segment</th><th>Role</th><th>Prefix</th><th>Used</th><th>Free</th></tr></thead>
              <tbody>
                {report.segments.map((s) => (
                  <tr key={s.segment} data-segment={s.segment}><td>{s.segment}</td><td>{s.role}</td><td>{s.prefix ?? 'not allocated'}</td><td>{s.used}</td><td>{s.free}</td></tr>
                ))}
              </tbody>
            </table>
            <h2>Hosts</h2>
            <table data-table="hosts">
              <thead><tr><th>Host</th><th>Role</th><th>Address</th><th>State</th><th>Last report</th><th>Units</th></tr></thead>
              <tbody>
                {report.hosts.map((h) => {
                  const hb = hosts.get(h.host);
                  const here = units.filter((u) => u.host === h.host);
                  return (
                    <tr key={h.host} data-host={h.host}>
                      <td>{h.host}</td>
                      <td>{h.role}</td>
                      <td>{h.address ?? '–'}</td>
                      <td><State state={hb?.state ?? 'unknown'} /></td>
                      <td data-field="heartbeat">{hb?.ageSeconds == null ? 'never' : `${age(hb.ageSeconds)} ago`}</td>
                      <td>
                        {here.length === 0 ? <span class="muted">none</span> : here.map((u) => (
                          <span key={u.unit} class="unit"><a href={`#/app/${u.app}`}>{u.unit}</a> <State state={u.state} /> </span>
                        ))}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </>
        );
      }}
    </Page>
  );
}
