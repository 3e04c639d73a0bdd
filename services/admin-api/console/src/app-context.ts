import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Api } from './api/client';
import type { Role, Whoami } from './api/types';

/** What each role may see and do in the console, as the admin API's role matrix allows it. */
export function abilitiesOf(role: Role) {
  return {
    /** Create, change, regenerate, disable, delete keys; providers and models. */
    write: role !== 'auditor',
    /** The admin-token page: owners manage tokens, auditors read the list, operators never see it. */
    seeTokens: role !== 'operator',
    manageTokens: role === 'owner',
    verifyAudit: role !== 'operator',
    /** Moving a provider to another base URL sends its stored secret there: owners only. */
    changeBaseUrl: role === 'owner',
  };
}
export type Abilities = ReturnType<typeof abilitiesOf>;

export interface AppState {
  api: Api;
  me: Whoami;
  can: Abilities;
  gatewayUrl: string;
  /** A short message in the status line ("Saved", "Saved — taking effect"). */
  notify: (message: string) => void;
}

export const AppContext = createContext<AppState>(null as unknown as AppState);
export const useApp = () => useContext(AppContext);

/** The words for a write's answer: a 202 was saved and takes effect once policy has it. */
export function savedMessage(what: string, pending: boolean): string {
  return pending ? `${what} — saved, taking effect` : what;
}
