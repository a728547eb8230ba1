/**
 * The dashboard: served by the controller at /ui/ from the same origin as the API, talking to
 * it through the typed client. Pages by the URL's hash (#/fleet, #/login), so a reload or a
 * link keeps the page; data polled every 10 s. Web modules are bundled (tsconfig.web.json:
 * Bundler resolution), so .tsx pages are imported without an extension.
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { FleetPage } from './pages/fleet';
import { LoginPage } from './pages/login';
import { logout, savedToken } from './session.js';

function useHash(): string {
  const [hash, setHash] = useState(location.hash || '#/fleet');
  useEffect(() => {
    const on = () => setHash(location.hash || '#/fleet');
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return hash;
}

function App() {
  const hash = useHash();
  const [token, setToken] = useState(savedToken());
  if (!token || hash === '#/login') return <LoginPage onLogin={() => { setToken(savedToken()); location.hash = '#/fleet'; }} />;
  return (
    <>
      <header>
        <strong>hafen</strong>
        <nav aria-label="pages">
          <a href="#/fleet" aria-current={hash === '#/fleet' ? 'page' : undefined}>Fleet</a>
        </nav>
        <button type="button" onClick={() => { logout(); setToken(undefined); }}>Log out</button>
      </header>
      <main>{hash === '#/fleet' ? <FleetPage /> : <p>No such page: {hash}. <a href="#/fleet">The fleet</a></p>}</main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
