import { accessSync, constants, readdirSync, realpathSync, statSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';

const POSTGRES_TOOLS = new Set([
  'postgres',
  'initdb',
  'pg_ctl',
  'pg_isready',
  'psql',
  'createdb',
  'dropdb',
  'pg_dump',
  'pg_restore',
]);
const POSTGRES_LIB_DIR = '/usr/lib/postgresql';
// Debian installs nats-server to /usr/sbin, which is not on a normal user's PATH.
const SBIN_DIRS = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

export class BinaryNotFoundError extends Error {
  constructor(
    readonly binary: string,
    readonly debianPackage: string,
  ) {
    super(
      `${binary} was not found on PATH${debianPackage === 'postgresql' ? ` or in ${POSTGRES_LIB_DIR}/*/bin` : ''}. ` +
        `Install the Debian package "${debianPackage}" (apt-get install -y ${debianPackage}).`,
    );
    this.name = 'BinaryNotFoundError';
  }
}

/** Absolute path of an executable: PATH first, then the places Debian packages put it. */
export function findBinary(name: string): string {
  if (!POSTGRES_TOOLS.has(name)) {
    const found = searchDirs(name, [...pathDirs(), ...SBIN_DIRS]);
    if (!found) throw new BinaryNotFoundError(name, name);
    return found;
  }
  const postgres = searchDirs('postgres', [...pathDirs(), ...postgresVersionDirs()]);
  if (!postgres) throw new BinaryNotFoundError(name, 'postgresql');
  if (name === 'postgres') return postgres;
  // Take every tool from the server's own directory so initdb and postgres are one version;
  // /usr/bin on Debian holds version-picking wrappers that need a configured cluster.
  const sibling = searchDirs(name, [dirname(realpathSync(postgres))]);
  const found = sibling ?? searchDirs(name, [...pathDirs(), ...postgresVersionDirs()]);
  if (!found) throw new BinaryNotFoundError(name, 'postgresql');
  return found;
}

function pathDirs(): string[] {
  return (process.env.PATH ?? '').split(delimiter).filter(Boolean);
}

/** /usr/lib/postgresql/<version>/bin, highest version first. */
function postgresVersionDirs(): string[] {
  let versions: string[];
  try {
    versions = readdirSync(POSTGRES_LIB_DIR);
  } catch {
    return [];
  }
  return versions
    .filter((v) => /^\d+(\.\d+)?$/.test(v))
    .sort((a, b) => Number(b) - Number(a))
    .map((v) => join(POSTGRES_LIB_DIR, v, 'bin'));
}

function searchDirs(name: string, dirs: string[]): string | undefined {
  for (const dir of dirs) {
    const candidate = join(dir, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
