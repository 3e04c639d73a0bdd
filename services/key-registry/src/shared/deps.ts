import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '@sluice/db';
import type { UpstreamPolicy } from '../providers/upstream-url';
import type { KeyEncryptionKeys } from '../providers/vault/envelope';

/** What every use case needs, injected so tests control time, ids and randomness. */
export interface Deps {
  db: Kysely<Database>;
  keks: KeyEncryptionKeys;
  now: () => Date;
  newId: (prefix: 'key' | 'prov' | 'adm') => string;
  /** Which provider base URLs are allowed; absent means production's default (public addresses only). */
  upstream?: UpstreamPolicy;
}

const ID_ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

export function randomId(prefix: string): string {
  let id = '';
  for (const byte of randomBytes(20)) id += ID_ALPHABET[byte % 36];
  return `${prefix}_${id}`;
}
