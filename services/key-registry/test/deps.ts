import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '@sluice/db';
import { parseKeks } from '../src/providers/vault/envelope';
import { randomId, type Deps } from '../src/shared/deps';

/** Use-case dependencies for tests: a fresh master key, the given clock, real ids. */
export function testDeps(db: Kysely<Database>, now: () => Date = () => new Date(), extra: Partial<Deps> = {}): Deps {
  return { db, keks: parseKeks(randomBytes(32).toString('base64'), undefined), now, newId: randomId, ...extra };
}
