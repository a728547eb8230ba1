import { useState } from 'preact/hooks';
import { login } from '../session.js';

export function LoginPage({ onLogin }: { onLogin: () => void }) {
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    const why = await login((new FormData(e.target as HTMLFormElement).get('token') as string | null) ?? '');
    setBusy(false);
    if (why) setError(why);
    else onLogin();
  };
  return (
    <main>
      <h1>hafen</h1>
      <form onSubmit={submit}>
        <label for="token">API token (hafen token create NAME --role viewer)</label>
        <input id="token" name="token" type="password" autocomplete="off" required />
        <button type="submit" disabled={busy}>Log in</button>
        {error ? <p class="error" role="alert">{error}</p> : null}
      </form>
    </main>
  );
}
