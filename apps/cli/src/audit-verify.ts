import { createReadStream } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { AuditEventView, AuditVerifyResult } from '@sluice/contracts';
import { type ChainBreak, ChainChecker } from '@sluice/event-store';
import type { AdminClient } from './admin-client';
import type { Io } from './io';

/** `sluice audit verify`: the server recomputes the whole chain from the events in Postgres. */
export async function verifyOnline(client: AdminClient, io: Io): Promise<number> {
  const verdict = await client.call<AuditVerifyResult>('GET', '/audit/verify');
  if (verdict.firstBreak) return reportBreak(io, verdict.firstBreak, verdict.checked);
  io.out(
    `chain intact: ${verdict.checked} events checked`,
    verdict.head
      ? `head: seq ${verdict.head.seq}, position ${verdict.head.position}, hash ${verdict.head.hash}`
      : 'the chain is empty',
  );
  return 0;
}

/**
 * `sluice audit verify --file export.ndjson`: recomputes every row's hash from its own fields and
 * checks that consecutive links (seq n, n+1) join up. A filtered export has gaps in seq; each run
 * between gaps is checked on its own. Reads line by line, so any size of export fits.
 */
export async function verifyFile(file: string, io: Io): Promise<number> {
  const checker = new ChainChecker(false);
  const lines = createInterface({ input: createReadStream(resolve(io.cwd, file)), crlfDelay: Infinity });
  let checked = 0;
  let redacted = 0;
  let runs = 0;
  let lastSeq: bigint | null = null;
  let head: AuditEventView | null = null;
  for await (const line of lines) {
    if (!line.trim()) continue;
    const row = JSON.parse(line) as AuditEventView;
    if (lastSeq === null || BigInt(row.seq) !== lastSeq + 1n) runs += 1;
    lastSeq = BigInt(row.seq);
    const broken = checker.check(
      {
        seq: row.seq,
        prevHash: row.prevHash,
        hash: row.hash,
        event: {
          globalPosition: row.position,
          streamId: row.streamId,
          streamVersion: row.version,
          eventId: row.eventId,
          type: row.type,
          schemaVersion: row.schemaVersion,
          data: row.data,
          metadata: row.metadata,
          recordedAt: row.recordedAt,
        },
      },
      row.position,
      row.redacted !== true,
    );
    if (broken) return reportBreak(io, broken, checked);
    checked += 1;
    if (row.redacted) redacted += 1;
    head = row;
  }
  io.out(
    `export intact: ${checked} events checked in ${runs} contiguous run(s)`,
    ...(redacted > 0
      ? [
          `${redacted} redacted line(s) (a secret an older version stored, shown as its hint): their links checked, their content only by \`audit verify\` against the database`,
        ]
      : []),
    head ? `last: seq ${head.seq}, position ${head.position}, hash ${head.hash}` : 'the export is empty',
  );
  return 0;
}

function reportBreak(io: Io, broken: ChainBreak, checked: number): number {
  io.err(
    `chain broken at global position ${broken.position}${broken.seq ? ` (seq ${broken.seq})` : ''}: ${broken.reason} (${checked} events before it check out)`,
  );
  return 1;
}
