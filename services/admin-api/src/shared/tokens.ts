/** Nest injection tokens for the connections this process owns. */
export const DB = Symbol('db');
export const NATS = Symbol('nats');
