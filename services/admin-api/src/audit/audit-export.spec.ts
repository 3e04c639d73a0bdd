import type { AuditEventView } from '@sluice/contracts';
import { CSV_COLUMNS, toCsvLine } from './audit-export';

const event: AuditEventView = {
  seq: '7',
  position: '9',
  eventId: '00000000-0000-4000-8000-000000000001',
  type: 'KeyUpdated',
  streamId: 'key-key_1',
  version: 2,
  schemaVersion: 1,
  data: { description: 'a "quoted", multi\nline value' },
  metadata: { actor: 'env-owner' },
  recordedAt: '2026-11-24T13:00:00.123456Z',
  prevHash: 'a'.repeat(64),
  hash: 'b'.repeat(64),
};

/** RFC 4180: a quoted field may hold commas, quotes (doubled) and newlines. */
function parseCsvLine(text: string): string[] {
  const fields: string[] = [];
  let i = 0;
  while (i < text.length) {
    if (text[i] === '"') {
      let value = '';
      i += 1;
      for (;;) {
        if (text[i] === '"' && text[i + 1] === '"') {
          value += '"';
          i += 2;
        } else if (text[i] === '"') break;
        else value += text[i++];
      }
      fields.push(value);
      i += 2;
    } else {
      const end = text.indexOf(',', i) === -1 ? text.length : text.indexOf(',', i);
      fields.push(text.slice(i, end).replace(/\n$/, ''));
      i = end + 1;
    }
  }
  return fields;
}

describe('CSV export rows', () => {
  it('given an event whose data holds quotes, commas and a newline, gives one row a CSV reader splits back into the columns', () => {
    const line = toCsvLine(event);
    expect(line.endsWith('\n')).toBe(true);
    const fields = parseCsvLine(line.slice(0, -1));
    expect(fields).toHaveLength(CSV_COLUMNS.length);
    const row = Object.fromEntries(CSV_COLUMNS.map((column, i) => [column, fields[i]]));
    expect(row).toMatchObject({
      seq: '7',
      position: '9',
      type: 'KeyUpdated',
      version: '2',
      recordedAt: event.recordedAt,
      prevHash: event.prevHash,
      hash: event.hash,
    });
    expect(JSON.parse(row.data)).toEqual(event.data);
    expect(JSON.parse(row.metadata)).toEqual(event.metadata);
  });
});
