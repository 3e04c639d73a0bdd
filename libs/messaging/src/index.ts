export * from './connection';
export * from './headers';
export * from './rpc';
export * from './respond';
export * from './reply-parts';
export * from './jetstream';
export * from './durable-batches';
export * from './stream-bursts';
export type { JsMsg } from '@nats-io/jetstream';
