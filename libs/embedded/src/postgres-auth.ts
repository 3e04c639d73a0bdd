import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClusterDir } from './postgres-cluster-dir';
import { writePrivateFile } from './private-files';

/** Every client, on loopback or on the (unused) socket, proves it knows the password. */
const HBA = `# Written by Sluice: every connection needs the superuser's password (postgres-password in the data folder).
local   all             all                                     scram-sha-256
host    all             all             127.0.0.1/32            scram-sha-256
host    all             all             ::1/128                 scram-sha-256
local   replication     all                                     scram-sha-256
host    replication     all             127.0.0.1/32            scram-sha-256
host    replication     all             ::1/128                 scram-sha-256
`;

/** The superuser's password: kept in `<dataDir>/postgres-password` (0600), made on first use. */
export function clusterPassword(dataDir: string): { password: string; generated: boolean } {
  const file = join(dataDir, 'postgres-password');
  if (existsSync(file)) return { password: readFileSync(file, 'utf8').trim(), generated: false };
  const password = randomBytes(24).toString('base64url');
  writePrivateFile(file, `${password}\n`);
  return { password, generated: true };
}

/**
 * What Postgres stores for a SCRAM-SHA-256 password (RFC 5803): handing it this instead of the
 * password keeps the password itself out of initdb's temporary file and the server's error log.
 */
export function scramVerifier(password: string, salt = randomBytes(16), iterations = 4096): string {
  const salted = pbkdf2Sync(password, salt, iterations, 32, 'sha256');
  const storedKey = createHash('sha256').update(createHmac('sha256', salted).update('Client Key').digest()).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

/**
 * initdb's arguments for a cluster that asks for the password, and the file it reads the password from (removed by
 * `done`).
 */
export function initdbAuth(password: string, owner?: ClusterDir['owner']): { args: string[]; done(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-initdb-'));
  const file = join(dir, 'pwfile');
  writeFileSync(file, `${scramVerifier(password)}\n`, { mode: 0o600 });
  // As root, initdb runs as the postgres user, who must read it.
  if (owner) for (const path of [dir, file]) chownSync(path, owner.uid, owner.gid);
  return {
    args: ['--auth-host=scram-sha-256', '--auth-local=scram-sha-256', `--pwfile=${file}`],
    done: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Whether the cluster still lets some client in without a password (what `initdb -A trust` wrote). */
export function trustsClients(clusterDir: string): boolean {
  return /^\s*[^#\s].*\strust\s*$/m.test(readFileSync(join(clusterDir, 'pg_hba.conf'), 'utf8'));
}

/** The statement, for single-user mode, that gives the superuser `password`. */
export function setPasswordStatement(password: string): string {
  return `ALTER ROLE postgres PASSWORD '${scramVerifier(password)}';\n`;
}

/** Replaces the cluster's pg_hba.conf with one that asks every client for the password. */
export function writeHba(cluster: ClusterDir): void {
  const file = join(cluster.dir, 'pg_hba.conf');
  writePrivateFile(file, HBA);
  if (cluster.owner) chownSync(file, cluster.owner.uid, cluster.owner.gid);
}
