/**
 * Where the admin token lives in the browser. By default in sessionStorage: it survives a reload
 * of this tab and dies with it. Only when the admin ticks "Stay signed in" is it kept in
 * localStorage, until they sign out. Never in a URL, a cookie or a log.
 */
const KEY = 'sluice.adminToken';

export function savedToken(): string | null {
  return sessionStorage.getItem(KEY) ?? localStorage.getItem(KEY);
}

export function saveToken(token: string, staySignedIn: boolean): void {
  forgetToken();
  (staySignedIn ? localStorage : sessionStorage).setItem(KEY, token);
}

export function forgetToken(): void {
  sessionStorage.removeItem(KEY);
  localStorage.removeItem(KEY);
}
