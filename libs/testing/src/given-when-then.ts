import { parseEvent, type ErrorCode, type SluiceEvent } from '@sluice/contracts';

/**
 * The given/when/then harness of one aggregate's decider, from its fold:
 * `given(...history).when(decide).then(events)` or `.thenThrows(code)`. The history and the decided
 * events both go through the contract's schemas, so an event the log would not accept fails the test.
 */
export function deciderHarness<E extends Pick<SluiceEvent, 'type' | 'data'>, S>(fold: (history: E[]) => S) {
  return function given(...history: E[]) {
    const state = fold(history.map(throughContract));
    return {
      state,
      when: (decide: (state: S) => E[]) => ({
        then: (expected: E[]) => {
          const decided = decide(state);
          expect(decided.map(throughContract)).toEqual(decided);
          expect(decided).toEqual(expected);
        },
        thenThrows: (code: ErrorCode) => expect(() => decide(state)).toThrow(expect.objectContaining({ code })),
      }),
    };
  };
}

function throughContract<E extends Pick<SluiceEvent, 'type' | 'data'>>(event: E): E {
  return parseEvent(JSON.parse(JSON.stringify(event))) as unknown as E;
}
