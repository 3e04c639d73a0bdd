import type { Api } from '../api/client';
import type { Key, Page } from '../api/types';

const PAGE = 500;
const MAX_PAGES = 4;

/** Live keys for the overview's lists, page by page up to 2,000 (the answer says when there were more). */
export async function liveKeys(api: Api): Promise<{ keys: Key[]; truncated: boolean }> {
  const keys: Key[] = [];
  let cursor: string | null | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const res = await api.get<Page<Key>>('/keys', { status: 'active', limit: PAGE, cursor });
    keys.push(...res.data);
    cursor = res.nextCursor;
    if (!cursor) return { keys, truncated: false };
  }
  return { keys, truncated: true };
}

/** Keys whose spend in this period has crossed one of their alert thresholds. */
export function overThreshold(keys: Key[]): Key[] {
  return keys.filter((k) => (k.budget?.thresholdsReached?.length ?? 0) > 0);
}

/** Keys that expire within `withinMs` of `now`, soonest first. */
export function expiringSoon(keys: Key[], now: number, withinMs: number): Key[] {
  return keys
    .filter((k) => k.expiresAt && Date.parse(k.expiresAt) > now && Date.parse(k.expiresAt) - now <= withinMs)
    .sort((a, b) => Date.parse(a.expiresAt!) - Date.parse(b.expiresAt!));
}
