import { install } from 'source-map-support';

/**
 * Stack traces in the TypeScript sources (`src/…/x.ts:line:col`), read from dist's source maps only
 * when a stack is formatted — an error logged or a crash — and only for the files in it.
 *
 * Node's own `--enable-source-maps` reads and parses the map of every module that has one as it
 * loads (~900 modules and 3.4 MB of maps a service, most of them node_modules') and keeps them:
 * ~4–5 MB of each service's heap, and their parsing at start-up (docs/benchmarks.md).
 *
 * Only a process's entry point calls this (each service's main.ts): jest maps its own stacks, and
 * code the tests import must not replace that.
 */
export function mapStackTraces(): void {
  // Node's own handler prints an uncaught error's stack, which this now maps, and exits as before.
  install({ environment: 'node', handleUncaughtExceptions: false });
}
