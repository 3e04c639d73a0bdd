export { appendToStream, type AppendToStream, type AppendResult, EVENTS_CHANNEL } from './append-to-stream';
export { readStream } from './read-stream';
export { readAll, readCommittedAfter, positionOf, type ReadAllOptions } from './read-all';
export { loadCheckpoint, saveCheckpoint } from './checkpoints';
export { EventFollower, type EventFollowerOptions } from './event-follower';
export { OutboxPublisher, OUTBOX_CHECKPOINT, type OutboxPublisherOptions } from './outbox-publisher';
export { Leader, type LeaderOptions } from './leader';
export { WrongExpectedVersionError, DuplicateEventError } from './errors';
export type { NewEvent, RecordedEvent, LogPosition, ExpectedVersion, Logger, FieldsFirstLogger } from './types';
export { storeLoggerOf } from './types';
export {
  canonicalJson,
  chainHash,
  ChainChecker,
  GENESIS_HASH,
  type ChainedEvent,
  type ChainLink,
  type ChainBreak,
  type ChainBreakReason,
} from './chain';
export { eventColumnsSql, toChainedEvent, type EventRow } from './chain-rows';
export { Sealer, SEALER_CHECKPOINT, sealBatch, type SealerOptions } from './sealer';
export { verifyChain, type ChainVerdict } from './verify-chain';
