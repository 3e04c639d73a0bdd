/**
 * The secrets each running service holds when the system is given all of them (docs/security.md):
 * written out, not derived from the code under test. The gateway faces the internet and holds none.
 */
export const HELD_SECRETS = {
  gateway: [],
  policy: ['DATABASE_URL'],
  metering: ['DATABASE_URL'],
  'admin-api': ['DATABASE_URL', 'SLUICE_ADMIN_TOKEN'],
  'key-registry': ['DATABASE_URL', 'SLUICE_MASTER_KEY', 'SLUICE_WEBHOOK_SECRET'],
};
