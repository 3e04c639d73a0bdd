import { render } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import 'uplot/dist/uPlot.min.css';
import './styles.css';
import { Api } from './api/client';
import type { Whoami } from './api/types';
import { AppContext, abilitiesOf, type AppState } from './app-context';
import { Shell } from './shell';
import { forgetToken, savedToken } from './session/session';
import { SignIn } from './session/sign-in';

function App() {
  const [session, setSession] = useState<{ token: string; me: Whoami; gatewayUrl: string } | null>(null);
  const [restoring, setRestoring] = useState(() => savedToken() !== null);
  const [reason, setReason] = useState<string>();
  const [message, setMessage] = useState('');

  const signOut = (why?: string) => {
    forgetToken();
    setSession(null);
    setReason(why);
  };
  const start = async (token: string, me?: Whoami) => {
    const api = new Api(token);
    const [who, gateway] = await Promise.all([
      me ? Promise.resolve(me) : api.get<Whoami>('/whoami'),
      api
        .get<{ baseUrl: string }>('/gateway')
        .catch(() => ({ baseUrl: `${location.protocol}//${location.hostname}:8080/v1` })),
    ]);
    setSession({ token, me: who, gatewayUrl: gateway.baseUrl });
  };

  useEffect(() => {
    const token = savedToken();
    if (!token) return;
    start(token)
      .catch(() => signOut('Your session ended: sign in again.'))
      .finally(() => setRestoring(false));
  }, []);

  const state = useMemo<AppState | null>(() => {
    if (!session) return null;
    const api = new Api(session.token, () =>
      signOut('The admin token was refused (revoked or changed): sign in again.'),
    );
    return {
      api,
      me: session.me,
      can: abilitiesOf(session.me.role),
      gatewayUrl: session.gatewayUrl,
      notify: setMessage,
    };
  }, [session]);

  if (restoring) return <p class="loading">Loading…</p>;
  if (!state) return <SignIn reason={reason} onSignedIn={(token, me) => start(token, me)} />;
  return (
    <AppContext.Provider value={state}>
      <Shell message={message} onSignOut={() => signOut('Signed out.')} />
    </AppContext.Provider>
  );
}

render(<App />, document.getElementById('app')!);
