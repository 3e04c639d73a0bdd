import { Readable } from 'node:stream';
import type { Kysely } from 'kysely';
import type { AuditEventView } from '@sluice/contracts';
import { type AuditFilter, streamAuditEvents } from './audit-queries';

export const CSV_COLUMNS = [
  'seq',
  'position',
  'eventId',
  'type',
  'streamId',
  'version',
  'schemaVersion',
  'recordedAt',
  'data',
  'metadata',
  'prevHash',
  'hash',
] as const;

/**
 * The export as a byte stream. Readable.from pulls the generator only when the socket drains, so
 * at most one page is in memory whatever the range: backpressure reaches the database reads.
 */
export function exportStream(db: Kysely<any>, filter: AuditFilter, format: 'ndjson' | 'csv'): Readable {
  async function* lines(): AsyncGenerator<string> {
    if (format === 'csv') yield `${CSV_COLUMNS.join(',')}\n`;
    for await (const page of streamAuditEvents(db, filter)) {
      yield page.map(format === 'csv' ? toCsvLine : toNdjsonLine).join('');
    }
  }
  return Readable.from(lines(), { objectMode: false });
}

const toNdjsonLine = (event: AuditEventView) => `${JSON.stringify(event)}\n`;

export function toCsvLine(event: AuditEventView): string {
  return `${CSV_COLUMNS.map((column) => csvField(event[column])).join(',')}\n`;
}

function csvField(value: unknown): string {
  const text = typeof value === 'string' ? value : typeof value === 'number' ? String(value) : JSON.stringify(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
