/**
 * The embedded Postgres serves one machine's system, whose working set (keys, limits, the recent
 * ledger) is a few MB: 32 MB of shared buffers instead of 128 caps what every backend maps, and the
 * rest of a bigger database is read through the OS page cache. Durability settings stay Postgres'.
 */
export const POSTGRES_SETTINGS: Readonly<Record<string, string>> = {
  shared_buffers: '32MB',
};

const SETTING = /^([a-z_][a-z0-9_.]*)=(\S+)$/;

/** npm start's settings with SLUICE_POSTGRES_SETTINGS (`name=value`, space-separated) over them. */
export function postgresSettings(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const settings = { ...POSTGRES_SETTINGS };
  for (const pair of (env.SLUICE_POSTGRES_SETTINGS ?? '').split(/\s+/).filter(Boolean)) {
    const match = SETTING.exec(pair);
    if (!match) throw new Error(`SLUICE_POSTGRES_SETTINGS: "${pair}" is not name=value (e.g. shared_buffers=128MB)`);
    settings[match[1]] = match[2];
  }
  return settings;
}
