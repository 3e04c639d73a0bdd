import type { ExpectedVersion } from './types';

/** Another writer appended to the stream first, or the caller's view of it is stale. */
export class WrongExpectedVersionError extends Error {
  readonly code = 'EVENT_STORE.WRONG_EXPECTED_VERSION';

  constructor(
    readonly streamId: string,
    readonly expected: ExpectedVersion,
    /** The stream's version when known; 0 means the stream does not exist. */
    readonly actual?: number,
  ) {
    super(
      `stream ${streamId}: expected version ${expected}${actual === undefined ? ', lost a concurrent append' : `, actual ${actual}`}`,
    );
    this.name = 'WrongExpectedVersionError';
  }
}

/** An event with this eventId is already in the log. */
export class DuplicateEventError extends Error {
  readonly code = 'EVENT_STORE.DUPLICATE_EVENT';

  constructor(readonly streamId: string) {
    super(`stream ${streamId}: an event with one of these eventIds is already recorded`);
    this.name = 'DuplicateEventError';
  }
}
