import { sql, type Kysely, type Selectable } from 'kysely';
import {
  DomainError,
  ErrorCodes,
  upcastBudget,
  usdOfDecimal,
  type BudgetSettings,
  type KeyView,
} from '@sluice/contracts';
import type { Database, KeySpendTable, KeysViewTable } from '@sluice/db';
import { storedBudgetView } from './limits/key-limits-view';

type KeyRow = Selectable<KeysViewTable> &
  Partial<Pick<Selectable<KeySpendTable>, 'requests' | 'input_tokens' | 'output_tokens' | 'spend_usd'>> & {
    last_used_at: Date | string | null;
  };

const keyColumns = [
  'k.id',
  'k.name',
  'k.description',
  'k.status',
  'k.key_hash',
  'k.key_hint',
  'k.models',
  'k.operations',
  'k.expires_at',
  'k.metadata',
  'k.created_at',
  'k.revoked_at',
  'k.version',
  'k.ip_allowlist',
  'k.provider_ids',
  'k.previous_key_hash',
  'k.previous_key_expires_at',
  'k.updated_at',
  'k.rate_limits',
  'k.budget',
  'k.budget_period_start',
  'k.budget_thresholds_reached',
  's.requests',
  's.input_tokens',
  's.output_tokens',
  's.spend_usd',
] as const;

// One backward step on usage_records_key_time per key (Postgres drops the view's unused join to corrections).
const lastUsedAt = sql<Date | null>`(select max(u.started_at) from usage_calls u where u.key_id = k.id)`.as(
  'last_used_at',
);

const baseQuery = (db: Kysely<Database>) =>
  db.selectFrom('keys_view as k').leftJoin('key_spend as s', 's.key_id', 'k.id').select(keyColumns).select(lastUsedAt);

export async function getKey(db: Kysely<Database>, id: string, now: Date): Promise<KeyView> {
  const row = await baseQuery(db).where('k.id', '=', id).executeTakeFirst();
  if (!row) throw new DomainError(ErrorCodes.keyNotFound, `key ${id} does not exist`);
  return toKeyView(row as KeyRow, now);
}

export async function assertKeyExists(db: Kysely<Database>, id: string): Promise<void> {
  const row = await db.selectFrom('keys_view').select('id').where('id', '=', id).executeTakeFirst();
  if (!row) throw new DomainError(ErrorCodes.keyNotFound, `key ${id} does not exist`);
}

/** Keyset paging on (created_at, id): stable under concurrent inserts. */
export async function listKeys(
  db: Kysely<Database>,
  q: { status?: KeyView['status']; q?: string; cursor?: string; limit: number },
  now: Date,
): Promise<{ data: KeyView[]; nextCursor: string | null }> {
  let query = baseQuery(db)
    .orderBy('k.created_at')
    .orderBy('k.id')
    .limit(q.limit + 1);
  if (q.cursor) {
    const [cursorAt, id] = decodeCursor(q.cursor);
    const createdAt = new Date(cursorAt);
    query = query.where((eb) =>
      eb.or([eb('k.created_at', '>', createdAt), eb.and([eb('k.created_at', '=', createdAt), eb('k.id', '>', id)])]),
    );
  }
  if (q.status === 'expired') query = query.where('k.status', '=', 'active').where('k.expires_at', '<=', now);
  else if (q.status === 'active')
    query = query
      .where('k.status', '=', 'active')
      .where((eb) => eb.or([eb('k.expires_at', 'is', null), eb('k.expires_at', '>', now)]));
  else if (q.status) query = query.where('k.status', '=', q.status);
  if (q.q) {
    const like = `%${q.q.replace(/[\\%_]/g, '\\$&')}%`;
    query = query.where((eb) =>
      eb.or([eb('k.name', 'ilike', like), eb('k.key_hint', 'like', like), eb('k.id', '=', q.q!)]),
    );
  }
  const rows = (await query.execute()) as KeyRow[];
  const page = rows.slice(0, q.limit);
  const last = page[page.length - 1];
  const nextCursor =
    rows.length > q.limit && last ? encodeCursor(new Date(last.created_at).toISOString(), last.id) : null;
  return { data: page.map((r) => toKeyView(r, now)), nextCursor };
}

function toKeyView(row: KeyRow, now: Date): KeyView {
  const expiresAt = row.expires_at ? new Date(row.expires_at) : null;
  const expired = row.status === 'active' && expiresAt !== null && expiresAt <= now;
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    status: expired ? 'expired' : (row.status as KeyView['status']),
    keyHint: row.key_hint,
    models: row.models ?? null,
    operations: row.operations ?? null,
    rateLimits: row.rate_limits ?? null,
    budget: storedBudgetView(
      {
        // A row an older version wrote (until key-registry seals its URL) shows the hint too.
        settings: (upcastBudget(row.budget) as BudgetSettings | null) ?? null,
        createdAt: new Date(row.created_at),
        periodStart: row.budget_period_start ? new Date(row.budget_period_start) : null,
        thresholdsReached: row.budget_thresholds_reached ?? null,
      },
      now,
    ),
    ipAllowlist: row.ip_allowlist ?? null,
    providerIds: row.provider_ids ?? null,
    previousKeyExpiresAt: previousKeyStillValid(row, now),
    expiresAt: expiresAt?.toISOString() ?? null,
    metadata: row.metadata ?? {},
    createdAt: new Date(row.created_at).toISOString(),
    revokedAt: row.revoked_at ? new Date(row.revoked_at).toISOString() : null,
    lastUsedAt: row.last_used_at ? new Date(row.last_used_at).toISOString() : null,
    usage: {
      requests: Number(row.requests ?? 0),
      inputTokens: Number(row.input_tokens ?? 0),
      outputTokens: Number(row.output_tokens ?? 0),
      spendUsd: usdOfDecimal(row.spend_usd ?? 0),
    },
  };
}

const encodeCursor = (createdAt: string, id: string) =>
  Buffer.from(JSON.stringify([createdAt, id])).toString('base64url');

function decodeCursor(cursor: string): [string, string] {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (typeof createdAt === 'string' && typeof id === 'string') return [createdAt, id];
  } catch {
    // fall through
  }
  throw new DomainError(ErrorCodes.validation, 'cursor is not valid', { param: 'cursor' });
}

function previousKeyStillValid(row: KeyRow, now: Date): string | null {
  if (!row.previous_key_hash || !row.previous_key_expires_at) return null;
  const until = new Date(row.previous_key_expires_at);
  return until > now ? until.toISOString() : null;
}
