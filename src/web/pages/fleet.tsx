import { formatBytes } from '../../core/fleet/units.js';
import { siteCards } from '../fleet-view.js';
import { cores } from '../format.js';
import { CapacityBar, Page, State } from '../parts';
import { usePoll } from '../poll.js';

/** Every site on one page: where it is, its state, capacity, hosts, apps up/degraded/down, alerts. */
export function FleetPage() {
  const polled = usePoll(async (c) => {
    const [status, alerts] = await Promise.all([c.status(), c.alerts()]);
    // No revision yet: no capacity to show.
    const capacity = status.revision === null ? undefined : await c.capacity();
    return { revision: status.revision, cards: siteCards(status, alerts.alerts, capacity) };
  });
  return (
    <Page title="Fleet" polled={polled}>
      {({ revision, cards }) => (
        <>
          <p class="muted">{revision === null ? 'No fleet applied yet (hafen apply).' : `Revision ${revision}`}</p>
          <div class="sites">
            {cards.map((s) => (
              <article class="card" data-site={s.site} key={s.site}>
                <h2><a href={`#/site/${s.site}`}>{s.name}</a> <State state={s.state} /></h2>
                <p class="muted">{s.site} · {s.country} · {s.provider} · {s.facility}</p>
                <dl>
                  <dt>Hosts up</dt>
                  <dd data-field="hosts">{s.hostsUp} of {s.hosts}</dd>
                  <dt>Apps</dt>
                  <dd data-field="apps">{s.apps.up} up, {s.apps.degraded} degraded, {s.apps.down} down</dd>
                  <dt>Alerts</dt>
                  <dd data-field="alerts"><a href="#/alerts">{s.alerts}</a></dd>
                </dl>
                {s.capacity ? (
                  <div class="capacities">
                    <CapacityBar label="cpu" amount={s.capacity.cpu} format={cores} />
                    <CapacityBar label="memory" amount={s.capacity.memory} format={formatBytes} />
                    <CapacityBar label="disk" amount={s.capacity.disk} format={formatBytes} />
                  </div>
                ) : null}
              </article>
            ))}
          </div>
        </>
      )}
    </Page>
  );
}
