import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ShellBlock {
  file: string;
  /** The line of the opening fence. */
  line: number;
  code: string;
}

/** The ```bash and ```sh blocks of a Markdown file, in order, except those fenced `no-run`. */
export function shellBlocks(rootDir: string, file: string): ShellBlock[] {
  const lines = readFileSync(join(rootDir, file), 'utf8').split('\n');
  const blocks: ShellBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const fence = /^```(\S*)(.*)$/.exec(lines[i]);
    if (!fence) continue;
    const end = lines.findIndex((l, j) => j > i && l.startsWith('```'));
    if (['bash', 'sh'].includes(fence[1]) && !/\bno-run\b/.test(fence[2]))
      blocks.push({ file, line: i + 1, code: lines.slice(i + 1, end).join('\n') });
    i = end;
  }
  return blocks;
}

/**
 * One bash script for a document's blocks, so a variable set in one is there in the next, as in a
 * reader's terminal. A curl must succeed unless it prints its status (`-w`: the block shows a
 * refusal on purpose); `npm run` runs in the checkout while files land in the working folder.
 */
export function docScript(blocks: ShellBlock[]): string {
  return [
    'set -euo pipefail',
    'curl() { case " $* " in *" -w "*|*" --write-out "*) command curl -S "$@" ;; *) command curl -S --fail-with-body "$@" ;; esac; }',
    'npm() { command npm --prefix "$SLUICE_CHECKOUT" "$@"; }',
    ...blocks.flatMap((b) => [`echo "::block ${b.file}:${b.line}" >&2`, b.code]),
  ].join('\n');
}
