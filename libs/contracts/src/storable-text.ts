/**
 * What Postgres `text` and `jsonb` cannot hold: U+0000 (refused outright, SQLSTATE 22021 / 22P05)
 * and a UTF-16 surrogate without its pair (silently turned into U+FFFD in `text`, refused by
 * `jsonb`). Every caller string that is stored is either checked with `unstorableIn` at the edge or
 * made storable with `storableText`.
 */
export type Unstorable = 'nul' | 'lone-surrogate';

export function unstorableIn(text: string): Unstorable | null {
  if (text.includes('\0')) return 'nul';
  return text.isWellFormed() ? null : 'lone-surrogate';
}

/** `text` with every NUL and every lone surrogate replaced by U+FFFD. */
export function storableText(text: string): string {
  return (text.includes('\0') ? text.replaceAll('\0', '\uFFFD') : text).toWellFormed();
}

/** What a person reads about an unstorable value, e.g. in a 400's message. */
export function describeUnstorable(why: Unstorable): string {
  return why === 'nul' ? 'a NUL character (U+0000)' : 'an unpaired UTF-16 surrogate';
}

/** At most `max` UTF-16 units of `text`, never ending in the first half of a surrogate pair. */
export function truncateText(text: string, max: number): string {
  if (text.length <= max) return text;
  const code = text.charCodeAt(max - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
}
