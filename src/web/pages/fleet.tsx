import { useEffect, useState } from 'preact/hooks';
import { siteCards, type SiteCard } from '../fleet-view.js';
import { client } from '../session.js';

const POLL_MS = 10_000;

/** Every site on one page: its state, hosts, apps up/degraded/down, alerts. */
export function FleetPage() {
  const [cards, setCards] = useState<SiteCard[]>();
  const [revision, setRevision] = useState<number | null>(null);
  const [error, setError] = useState<string>();
  useEffect(() => {
    let alive = true;
    const load = async () => {
      try {
        const c = client();
        const [status, alerts] = await Promise.all([c.status(), c.alerts()]);
        if (!alive) return;
        setCards(siteCards(status, alerts.alerts));
        setRevision(status.revision);
        setError(undefined);
      } catch (err) {
        if (alive) setError((err as Error).message);
      }
    };
    void load();
    const timer = setInterval(() => void load(), POLL_MS);
    return () => {
      alive = false;
      clearInterval(timer);
    };
  }, []);
  return (
    <section aria-labelledby="fleet-title">
      <h1 id="fleet-title">Fleet</h1>
      {error ? <p class="error" role="alert">{error}</p> : null}
      {revision === null && cards ? <p class="muted">No fleet applied yet (hafen apply).</p> : revision !== null ? <p class="muted">Revision {revision}</p> : null}
      {!cards ? <p>Loading…</p> : (
        <div class="sites">
          {cards.map((s) => (
            <article class="card" data-site={s.site} key={s.site}>
              <h2>{s.name} <span class={`state-${s.state}`}>{s.state}</span></h2>
              <p class="muted">{s.site} · {s.country} · {s.provider}</p>
              <dl>
                <dt>Hosts up</dt>
                <dd data-field="hosts">{s.hostsUp} of {s.hosts}</dd>
                <dt>Apps</dt>
                <dd data-field="apps">{s.apps.up} up, {s.apps.degraded} degraded, {s.apps.down} down</dd>
                <dt>Alerts</dt>
                <dd data-field="alerts">{s.alerts}</dd>
              </dl>
            </article>
          ))}
        </div>
      )}
    </section>
  );
}
