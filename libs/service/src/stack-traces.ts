import { mapSourcePosition } from 'source-map-support';

/**
 * Stack traces in the TypeScript sources (`src/…/x.ts:line:col`), read from dist's source maps only
 * when a stack is formatted — an error logged or a crash — and only for the files in it.
 *
 * Node's own `--enable-source-maps` reads and parses the map of every module that has one as it
 * loads (~900 modules and 3.4 MB of maps a service, most of them node_modules') and keeps them:
 * ~4–5 MB of each service's heap (docs/benchmarks.md). Here a stack is formatted as Node formats
 * it (V8's frames, `async` ones included, and a Node error's `[ERR_…]` code), with the location of
 * each frame in Sluice's own compiled files moved to its source; node_modules' frames keep theirs
 * (the file that ran, which exists, where the maps point at sources packages do not ship). A map
 * read stays cached (`source-map-support`), so the memory held grows with the files that appear in
 * printed stacks, at most Sluice's own.
 *
 * Only a process's entry point calls this (each service's main.ts): jest maps its own stacks, and
 * code the tests import must not replace that. It runs once main.ts's imports have loaded: a crash
 * while they load prints dist's locations. With Node's own source maps on (`NODE_OPTIONS=
 * --enable-source-maps`) it leaves them to Node.
 */
export function mapStackTraces(): void {
  if (process.sourceMapsEnabled) return;
  Error.prepareStackTrace = (error: Error, frames: NodeJS.CallSite[]) => {
    const header = headerOf(error);
    return frames.length === 0 ? header : `${header}\n    at ${frames.map(mappedFrame).join('\n    at ')}`;
  };
}

/** The first line as Node writes it: `TypeError [ERR_INVALID_ARG_TYPE]: …` for Node's own errors. */
function headerOf(error: Error): string {
  try {
    const code = (error as { code?: unknown }).code;
    if (typeof code !== 'string' || !code.startsWith('ERR_')) return Error.prototype.toString.call(error);
    return `${error.name} [${code}]: ${error.message}`;
  } catch {
    // A name or message getter that throws.
    return 'Error';
  }
}

/** V8's own text for the frame, its location moved to the TypeScript source where a map has one. */
function mappedFrame(frame: NodeJS.CallSite): string {
  const text = String(frame);
  const file = frame.getFileName();
  const line = frame.getLineNumber();
  const column = frame.getColumnNumber();
  if (!file || line === null || column === null || !file.startsWith('/') || file.includes('/node_modules/'))
    return text;
  const location = `${file}:${line}:${column}`;
  const at = text.lastIndexOf(location);
  if (at < 0) return text;
  try {
    const source = mapSourcePosition({ source: file, line, column: column - 1 });
    if (source.source === file) return text;
    return `${text.slice(0, at)}${source.source}:${source.line}:${source.column + 1}${text.slice(at + location.length)}`;
  } catch {
    return text;
  }
}
