import type { ServiceName } from './service-names';

/** Variables that hold a secret, or a credential to Postgres: each reaches only the services below. */
export const SECRET_VARIABLES = [
  'DATABASE_URL',
  'SLUICE_ADMIN_TOKEN',
  'SLUICE_MASTER_KEY',
  'SLUICE_MASTER_KEYS',
  'SLUICE_WEBHOOK_SECRET',
  // A Slack-style webhook URL carries its token in the path.
  'SLUICE_BUDGET_WEBHOOK_URL',
  // The test runner's superuser URL: no service reads it.
  'SLUICE_TEST_DATABASE_URL',
] as const;

/**
 * What each service really reads (docs/security.md#which-secret-lives-where). The gateway faces the
 * internet and holds every provider key in memory already; it gets nothing more.
 */
export const SERVICE_SECRETS: Record<ServiceName, readonly string[]> = {
  gateway: [],
  policy: ['DATABASE_URL'],
  metering: ['DATABASE_URL'],
  'admin-api': ['DATABASE_URL', 'SLUICE_ADMIN_TOKEN'],
  'key-registry': [
    'DATABASE_URL',
    'SLUICE_MASTER_KEY',
    'SLUICE_MASTER_KEYS',
    'SLUICE_WEBHOOK_SECRET',
    'SLUICE_BUDGET_WEBHOOK_URL',
  ],
};

/**
 * Inherited from the shell that runs `npm start`: the runtime's own settings, nothing else (no cloud credentials, no
 * tokens).
 */
const INHERITED =
  /^(PATH|HOME|USER|LOGNAME|SHELL|LANG|LC_\w+|TZ|TMPDIR|HOSTNAME|TERM|NO_COLOR|FORCE_COLOR|SSL_CERT_(FILE|DIR)|NODE_\w+|UV_THREADPOOL_SIZE|LOG_LEVEL|OTEL_\w+|NATS_\w+|SLUICE_\w+)$/;
// libpq's variables (PGPASSWORD, PGHOST…) are database credentials: like DATABASE_URL.
const isSecret = (name: string) => (SECRET_VARIABLES as readonly string[]).includes(name) || name.startsWith('PG');

/**
 * One service's environment: the allowed part of the parent's, the system's settings, and of the
 * secrets only those the service reads.
 */
export function serviceEnv(
  service: ServiceName,
  inherited: NodeJS.ProcessEnv,
  settings: Record<string, string>,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries({ ...inherited, ...settings })) {
    if (value === undefined) continue;
    const allowed = isSecret(name) ? SERVICE_SECRETS[service].includes(name) : name in settings || INHERITED.test(name);
    if (allowed) env[name] = value;
  }
  return env;
}
