import { useState } from 'preact/hooks';
import { login, loginUser } from '../session.js';

/** Log in with an API token, or with a user's name and password. */
export function LoginPage({ onLogin }: { onLogin: () => void }) {
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [withPassword, setWithPassword] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.target as HTMLFormElement);
    const field = (name: string) => (form.get(name) as string | null) ?? '';
    setBusy(true);
    const why = withPassword ? await loginUser(field('name'), field('password')) : await login(field('token'));
    setBusy(false);
    if (why) setError(why);
    else onLogin();
  };
  return (
    <main>
      <h1>hafen</h1>
      <p>
        <button type="button" aria-pressed={!withPassword} onClick={() => { setWithPassword(false); setError(undefined); }}>API token</button>{' '}
        <button type="button" aria-pressed={withPassword} onClick={() => { setWithPassword(true); setError(undefined); }}>Name and password</button>
      </p>
      <form onSubmit={submit}>
        {withPassword ? (
          <>
            <label for="name">Name</label>
            <input id="name" name="name" autocomplete="username" required />
            <label for="password">Password</label>
            <input id="password" name="password" type="password" autocomplete="current-password" required />
          </>
        ) : (
          <>
            <label for="token">API token (hafen token create --name NAME --role viewer)</label>
            <input id="token" name="token" type="password" autocomplete="off" required />
          </>
        )}
        <button type="submit" disabled={busy}>Log in</button>
        {error ? <p class="error" role="alert">{error}</p> : null}
      </form>
    </main>
  );
}
