import type { Deps } from './deps';

/** Use cases answered over NATS, by endpoint name; each parses its own payload. */
export type CommandTable = Record<string, (deps: Deps, payload: any) => Promise<unknown>>;
