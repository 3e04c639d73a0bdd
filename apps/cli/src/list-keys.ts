import type { KeyView } from '@sluice/contracts';
import type { AdminClient } from './admin-client';
import type { Io } from './io';

/** `sluice keys list`: one line per key, or the key objects as JSON with --json. */
export async function listKeys(client: AdminClient, opts: { json: boolean; all: boolean }, io: Io): Promise<number> {
  const keys = (await client.listKeys()).filter((k) => opts.all || k.status !== 'revoked');
  if (opts.json) {
    io.out(JSON.stringify(keys, null, 2));
    return 0;
  }
  const rows = [['NAME', 'ID', 'STATUS', 'HINT', 'MODELS', 'MANAGED'], ...keys.map(row)];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const r of rows)
    io.out(
      r
        .map((cell, i) => cell.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    );
  return 0;
}

const row = (k: KeyView) => [
  k.name,
  k.id,
  k.status,
  k.keyHint,
  k.models ? k.models.join(',') : '*',
  k.metadata?.managedBy === 'sluice-apply' ? 'yes' : '',
];
