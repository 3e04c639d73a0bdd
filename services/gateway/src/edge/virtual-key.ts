import type { IncomingHttpHeaders } from 'node:http';
import { isWellFormedVirtualKey } from '@sluice/contracts';

export type KeyLookup = { kind: 'found'; key: string } | { kind: 'missing' } | { kind: 'malformed' };

const MISSING: KeyLookup = { kind: 'missing' };
const MALFORMED: KeyLookup = { kind: 'malformed' };
const OTHER_HEADERS = ['x-api-key', 'api-key', 'x-portkey-api-key', 'x-portkey-virtual-key'] as const;
const BEARER = /^bearer\s+/i;

/**
 * The virtual key, from `Authorization: Bearer`, then `x-api-key`, `api-key`, `x-portkey-api-key`,
 * `x-portkey-virtual-key`: the first of those that holds a well-formed key wins. A client may send
 * a placeholder in one header and the key in another (the Portkey SDK puts `DUMMY-KEY` in
 * Authorization when only a virtual key is configured), so a malformed value is refused only
 * when no header holds a well-formed key. Offline: no I/O, and the key is never echoed.
 */
export function virtualKeyOf(headers: IncomingHttpHeaders): KeyLookup {
  let seen = false;
  const authorization = headers.authorization;
  if (typeof authorization === 'string' && authorization !== '') {
    const token = authorization.replace(BEARER, '').trim();
    if (isWellFormedVirtualKey(token)) return { kind: 'found', key: token };
    seen = true;
  }
  for (const name of OTHER_HEADERS) {
    const value = headers[name];
    if (value === undefined || value === '') continue;
    if (typeof value === 'string' && isWellFormedVirtualKey(value.trim())) return { kind: 'found', key: value.trim() };
    seen = true;
  }
  return seen ? MALFORMED : MISSING;
}
