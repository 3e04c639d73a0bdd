import { parseArgs } from 'node:util';
import { AdminApiError, AdminClient } from './admin-client';
import { apply } from './apply';
import { verifyFile, verifyOnline } from './audit-verify';
import { resolveConnection } from './config';
import type { Io } from './io';
import { listKeys } from './list-keys';
import { ManifestError } from './manifest';

const USAGE = `usage: npm run sluice -- <command>

  apply -f <file.yaml> [--dry-run] [--prune] [--secrets-out <file>]
        Make the live keys (and providers, models) match the file. Prints the plan, then applies it.
        --dry-run       show the plan only
        --prune         revoke keys marked managedBy: sluice-apply that the file no longer lists
        --secrets-out   write the new keys' secrets to this file (mode 0600) instead of printing them
  keys list [--json] [--all]
        The keys (--all includes revoked ones).
  audit verify [--file <export.ndjson>]
        Recompute the event log's hash chain and name the first position that does not match.
        --file          verify an export (GET /admin/v1/audit/export) offline, without the API

  --admin-url <url>   the admin API (default: SLUICE_ADMIN_URL, else .sluice/endpoints.json, else http://localhost:8081)
  The admin token comes from SLUICE_ADMIN_TOKEN, else .sluice/admin-token.`;

const OPTIONS = {
  file: { type: 'string', short: 'f' },
  'dry-run': { type: 'boolean', default: false },
  prune: { type: 'boolean', default: false },
  'secrets-out': { type: 'string' },
  'admin-url': { type: 'string' },
  json: { type: 'boolean', default: false },
  all: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

const parse = (args: string[]) => parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });

/** Runs one CLI command; resolves to the process exit code (0 done, 1 refused or failed, 2 usage). */
export async function run(argv: string[], io: Io): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (err) {
    io.err((err as Error).message, '', USAGE);
    return 2;
  }
  const { values, positionals } = parsed;
  const command = positionals.join(' ');
  if (values.help || command === '' || command === 'help') {
    io.out(USAGE);
    return command === '' && !values.help ? 2 : 0;
  }
  try {
    if (command === 'audit verify' && values.file) return await verifyFile(values.file, io);
    const connection = resolveConnection(io.env, io.projectDir, values['admin-url']);
    const client = new AdminClient(connection.adminUrl, connection.token);
    if (command === 'apply') {
      if (!values.file) {
        io.err('apply needs -f <file.yaml>', '', USAGE);
        return 2;
      }
      return await apply(
        client,
        { file: values.file, dryRun: values['dry-run'], prune: values.prune, secretsOut: values['secrets-out'] },
        io,
      );
    }
    if (command === 'audit verify') return await verifyOnline(client, io);
    if (command === 'keys list') return await listKeys(client, { json: values.json, all: values.all }, io);
    io.err(`unknown command: ${command}`, '', USAGE);
    return 2;
  } catch (err) {
    if (err instanceof ManifestError || err instanceof AdminApiError) io.err(err.message);
    else io.err(`sluice: ${(err as Error).message}`);
    return 1;
  }
}
