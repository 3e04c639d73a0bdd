import { closeSync, fchmodSync, openSync, writeSync } from 'node:fs';

export interface NewSecret {
  name: string;
  id: string;
  key: string;
}

/** Mode 0600 before a byte is written, also when the file already existed with a wider mode. */
export function writeSecretsFile(path: string, secrets: NewSecret[]): void {
  const fd = openSync(path, 'w', 0o600);
  try {
    fchmodSync(fd, 0o600);
    writeSync(
      fd,
      `${JSON.stringify(Object.fromEntries(secrets.map((s) => [s.name, { id: s.id, key: s.key }])), null, 2)}\n`,
    );
  } finally {
    closeSync(fd);
  }
}
