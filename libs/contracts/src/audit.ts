import { z } from 'zod';

/** Filters shared by `GET /admin/v1/audit/events` and `/audit/export`. */
export const AuditFilterShape = {
  keyId: z.string().min(1).optional(),
  type: z.string().min(1).optional(),
  actor: z.string().min(1).optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
};

export const AuditEventsQuery = z.object({
  ...AuditFilterShape,
  cursor: z.string().regex(/^\d+$/, 'a cursor from a previous page').optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
export type AuditEventsQuery = z.infer<typeof AuditEventsQuery>;

export const AuditExportQuery = z.object({ ...AuditFilterShape, format: z.enum(['ndjson', 'csv']).default('ndjson') });
export type AuditExportQuery = z.infer<typeof AuditExportQuery>;

/**
 * One event of the log with its link in the hash chain: `hash = sha256(prevHash || canonical(event))`
 * (docs/audit.md). `seq` is the link's place in the chain; `position` the event's global position.
 */
export interface AuditEventView {
  seq: string;
  position: string;
  eventId: string;
  type: string;
  streamId: string;
  version: number;
  schemaVersion: number;
  data: unknown;
  metadata: Record<string, unknown>;
  /** UTC with microseconds, exactly as hashed. */
  recordedAt: string;
  prevHash: string;
  hash: string;
  /**
   * Set when `data` is not the row as stored: an older version wrote a secret into it (a budget's
   * plain webhook URL), shown here as its hint. `hash` still covers the stored row, so this line's
   * content can be checked only in the database (`GET /admin/v1/audit/verify`); its links can.
   */
  redacted?: true;
}

export interface AuditVerifyResult {
  ok: boolean;
  checked: number;
  head: { seq: string; position: string; hash: string } | null;
  firstBreak: {
    position: string;
    seq: string | null;
    reason: 'event_modified' | 'event_missing' | 'chain_modified' | 'event_unsealed';
  } | null;
}
