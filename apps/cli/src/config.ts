import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export interface Connection {
  adminUrl: string;
  token: string;
}

/**
 * Where the admin API is and which token to use: SLUICE_ADMIN_URL and SLUICE_ADMIN_TOKEN, else
 * what `npm start` wrote to the data folder (endpoints.json, admin-token), else the defaults.
 * There is no token flag: a token on the command line ends up in shell history and `ps`.
 */
export function resolveConnection(env: NodeJS.ProcessEnv, projectDir: string, adminUrlFlag?: string): Connection {
  const dataDir = resolve(projectDir, env.SLUICE_DATA_DIR ?? '.sluice');
  const endpoints = readJson(resolve(dataDir, 'endpoints.json')) as { adminUrl?: string } | null;
  const adminUrl = adminUrlFlag ?? env.SLUICE_ADMIN_URL ?? endpoints?.adminUrl ?? 'http://localhost:8081';
  const tokenFile = resolve(dataDir, 'admin-token');
  const token = env.SLUICE_ADMIN_TOKEN ?? (existsSync(tokenFile) ? readFileSync(tokenFile, 'utf8').trim() : '');
  if (!token)
    throw new Error(`no admin token: set SLUICE_ADMIN_TOKEN (or run \`npm start\`, which keeps one in ${tokenFile})`);
  return { adminUrl: adminUrl.replace(/\/+$/, '').replace(/\/admin\/v1$/, ''), token };
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}
