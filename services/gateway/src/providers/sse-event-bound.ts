/**
 * The largest SSE event an upstream may send: a chat chunk is a few hundred bytes, a tool call's
 * or an audio delta a few kilobytes. An upstream that never ends an event would otherwise grow the
 * scanner's buffer (and the cost of joining each chunk to it) without bound.
 */
export const MAX_SSE_EVENT_BYTES = 1024 * 1024;

/** An upstream event grew past the bound without ending: the call fails like a broken upstream. */
export class SseEventTooLarge extends Error {
  constructor(maxBytes: number) {
    super(`the upstream sent an SSE event larger than ${maxBytes} bytes`);
  }
}

/** What the gateway logs when a stream failed on the bound. */
export const eventTooLargeLog = (maxBytes: number): string => `upstream sent an SSE event above ${maxBytes} bytes`;
