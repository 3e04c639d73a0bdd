export { appendToStream, type AppendToStream, type AppendResult, EVENTS_CHANNEL } from './append-to-stream';
export { readStream } from './read-stream';
export { readAll, positionOf, type ReadAllOptions } from './read-all';
export { loadCheckpoint, saveCheckpoint } from './checkpoints';
export { EventFollower, type EventFollowerOptions } from './event-follower';
export { Relay, RELAY_CHECKPOINT, type RelayOptions } from './relay';
export { WrongExpectedVersionError, DuplicateEventError } from './errors';
export type { NewEvent, RecordedEvent, LogPosition, ExpectedVersion, Logger } from './types';
