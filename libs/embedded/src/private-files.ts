import { chmodSync, existsSync, writeFileSync } from 'node:fs';

/** Writes a file only its owner may read (0600), also when an older version left it readable. */
export function writePrivateFile(path: string, content: string): void {
  if (existsSync(path)) chmodSync(path, 0o600);
  writeFileSync(path, content, { mode: 0o600 });
}
