/**
 * The dashboard: served by the controller at /ui/ from the same origin as the API, talking to
 * it through the typed client. Pages by the URL's hash (#/fleet, #/app/shop, …), so a reload or
 * a link keeps the page; data polled while a page is shown (poll.ts). A customer-scoped login
 * gets its own page and its apps' pages; the API refuses it everything else anyway. Web
 * modules are bundled (tsconfig.web.json: Bundler resolution), so .tsx pages are imported
 * without an extension.
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { AlertsPage } from './pages/alerts';
import { AppPage } from './pages/app';
import { CustomerPage } from './pages/customer';
import { FleetPage } from './pages/fleet';
import { HistoryPage } from './pages/history';
import { LoginPage } from './pages/login';
import { MovesPage } from './pages/moves';
import { RiskPage } from './pages/risk';
import { SitePage } from './pages/site';
import { TrafficPage } from './pages/traffic';
import { logout, savedCaller, savedToken } from './session.js';

const TEAM_PAGES = [
  ['#/fleet', 'Fleet'],
  ['#/risk', 'Risk'],
  ['#/traffic', 'Traffic'],
  ['#/alerts', 'Alerts'],
  ['#/migrations', 'Migrations'],
  ['#/history', 'History'],
] as const;

function useHash(): string {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const on = () => setHash(location.hash);
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return hash;
}

function page(hash: string, customer: string | undefined) {
  const [, name, arg] = /^#\/([a-z]+)(?:\/(.+))?$/.exec(hash) ?? [];
  const id = arg ? decodeURIComponent(arg) : undefined;
  if (name === 'app' && id) return <AppPage key={id} app={id} />;
  if (customer !== undefined) return name === 'customer' || !name ? <CustomerPage customer={customer} /> : null;
  if (name === 'site' && id) return <SitePage key={id} site={id} />;
  if (name === 'fleet' || !name) return <FleetPage />;
  if (name === 'risk') return <RiskPage />;
  if (name === 'traffic') return <TrafficPage />;
  if (name === 'alerts') return <AlertsPage />;
  if (name === 'migrations') return <MovesPage />;
  if (name === 'history') return <HistoryPage />;
  return null;
}

function App() {
  const hash = useHash();
  const [token, setToken] = useState(savedToken());
  if (!token || hash === '#/login') {
    return <LoginPage onLogin={() => { setToken(savedToken()); location.hash = savedCaller()?.customer !== undefined ? '#/customer' : '#/fleet'; }} />;
  }
  const who = savedCaller();
  const customer = who?.customer;
  const pages = customer !== undefined ? [['#/customer', 'Your services'] as const] : TEAM_PAGES;
  const current = hash || pages[0][0];
  const shown = page(current, customer);
  return (
    <>
      <header>
        <strong>hafen</strong>
        <nav aria-label="pages">
          {pages.map(([href, label]) => <a key={href} href={href} aria-current={current === href ? 'page' : undefined}>{label}</a>)}
        </nav>
        <span class="muted" data-field="who">{who ? `${who.name} (${customer !== undefined ? `customer ${customer}` : who.role})` : ''}</span>
        <button type="button" onClick={() => void logout().then(() => setToken(undefined))}>Log out</button>
      </header>
      <main>{shown ?? <p role="alert">No such page: {current}. <a href={pages[0][0]}>{pages[0][1]}</a></p>}</main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
