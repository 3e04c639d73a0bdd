import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * A secret from the environment, else one kept in the data folder (mode 0600), else a new one
 * written there: a second `npm start` keeps the same admin token, master key and webhook secret.
 */
export function persistentSecret(
  envValue: string | undefined,
  file: string,
  generate: () => string,
): { value: string; generated: boolean } {
  if (envValue) return { value: envValue, generated: false };
  if (existsSync(file)) return { value: readFileSync(file, 'utf8').trim(), generated: false };
  mkdirSync(dirname(file), { recursive: true });
  const value = generate();
  writeFileSync(file, `${value}\n`, { mode: 0o600 });
  return { value, generated: true };
}

export const newAdminToken = () => `sluice-admin-${randomBytes(24).toString('base64url')}`;
export const newMasterKey = () => randomBytes(32).toString('base64');
export const newWebhookSecret = () => `whsec_${randomBytes(32).toString('base64url')}`;
