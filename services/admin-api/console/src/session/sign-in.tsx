import { useState } from 'preact/hooks';
import { Api, ApiError } from '../api/client';
import type { Whoami } from '../api/types';
import { Checkbox, TextField } from '../ui/controls';
import { saveToken } from './session';

/** Sign in with an admin token; the API says whose it is and with which role. */
export function SignIn({ onSignedIn, reason }: { onSignedIn: (token: string, me: Whoami) => void; reason?: string }) {
  const [token, setToken] = useState('');
  const [stay, setStay] = useState(false);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    const value = token.trim();
    if (!value) return setError('Paste the admin token that npm start printed, or one an owner gave you.');
    setBusy(true);
    setError(undefined);
    try {
      const me = await new Api(value).get<Whoami>('/whoami');
      saveToken(value, stay);
      onSignedIn(value, me);
    } catch (err) {
      setError(
        err instanceof ApiError && err.status === 401
          ? 'This token is not valid (unknown, mistyped or revoked).'
          : (err as Error).message,
      );
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="sign-in">
      <h1>Sluice console</h1>
      {reason && (
        <p class="notice" role="status">
          {reason}
        </p>
      )}
      <form onSubmit={submit} class="card">
        <TextField
          label="Admin token"
          type="password"
          autocomplete="off"
          spellcheck={false}
          value={token}
          onValue={setToken}
          error={error}
          hint="SLUICE_ADMIN_TOKEN, printed by npm start, or a token an owner created for you."
          autoFocus
        />
        <Checkbox label="Stay signed in on this device" checked={stay} onChecked={setStay} />
        <p class="hint">
          {stay
            ? 'The token is kept in this browser until you sign out.'
            : 'The token is kept only while this tab is open.'}
        </p>
        <button type="submit" class="primary" disabled={busy}>
          Sign in
        </button>
      </form>
    </main>
  );
}
