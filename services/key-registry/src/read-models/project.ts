import type { Kysely } from 'kysely';
import { parseEvent } from '@sluice/contracts';
import type { Database } from '@sluice/db';
import { projectAdminTokenEvent } from './admin-tokens.projection';
import { projectKeyEvent } from './keys.projection';
import { projectModelEvent } from './models.projection';
import { projectProviderEvent } from './providers.projection';

/** One projection per read model; each ignores the events that are not its own. */
const projections = [projectKeyEvent, projectProviderEvent, projectModelEvent, projectAdminTokenEvent];

/**
 * Applies one event to the read models the admin API and metering read. The same function runs
 * inline with each command and when the read models are rebuilt from the log.
 */
export async function projectEvent(
  db: Kysely<Database>,
  raw: { type: string; data: unknown; schemaVersion?: number },
): Promise<void> {
  const event = parseEvent(raw);
  if (!event) return;
  for (const project of projections) await project(db, event);
}
