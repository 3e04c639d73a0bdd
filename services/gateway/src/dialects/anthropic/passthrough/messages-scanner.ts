import { MAX_SSE_EVENT_BYTES } from '../../../providers/sse-event-bound';
import { GeneratedText } from '../../../usage/generated-text';
import { DROP, KEEP, SseScanner } from '../../openai/sse-scanner';
import type { AnthropicUsage } from '../../../providers/anthropic/anthropic-wire';
import { mergeUsage } from './anthropic-usage';

/** Where Anthropic's events carry generated text: text, thinking, and tool input as it streams. */
const ANTHROPIC_TEXT_FIELDS = ['"text":', '"thinking":', '"partial_json":'].map((f) => Buffer.from(f));
const EVENT = Buffer.from('event:');
const LF = 0x0a;
const CR = 0x0d;

/**
 * Anthropic's Messages SSE, relayed event by event as the same bytes. Only the events that carry
 * usage are parsed: `message_start` (input and cache tokens) and `message_delta` (the cumulative
 * output). `message_stop` is held back: the relay writes it once the call is finished, so a
 * client that sees the stream end finds the call settled. An `error` event is passed on and marks
 * the stream failed.
 */
export class MessagesSseScanner extends SseScanner {
  start: AnthropicUsage | null = null;
  delta: AnthropicUsage | null = null;
  /** The held `message_stop` event with its blank line; null until it came. */
  held: Buffer | null = null;
  failed = false;

  constructor(maxEventBytes = MAX_SSE_EVENT_BYTES) {
    super(true, maxEventBytes, new GeneratedText(ANTHROPIC_TEXT_FIELDS));
  }

  protected override inspect(event: Buffer): number {
    switch (eventName(event)) {
      case 'message_start':
        this.start = (dataOf(event) as { message?: { usage?: AnthropicUsage } } | null)?.message?.usage ?? null;
        return KEEP;
      case 'message_delta': {
        const usage = (dataOf(event) as { usage?: AnthropicUsage } | null)?.usage;
        if (usage) this.delta = mergeUsage(this.delta, usage);
        return KEEP;
      }
      case 'message_stop':
        this.held = Buffer.concat([event, Buffer.from(event.includes(CR) ? '\r\n\r\n' : '\n\n')]);
        return DROP;
      case 'error':
        this.failed = true;
        return KEEP;
      default:
        return KEEP;
    }
  }
}

/** The event's name, from its `event:` line (Anthropic always sends one: its SDKs ignore events without). */
function eventName(event: Buffer): string | null {
  const at = event.compare(EVENT, 0, EVENT.length, 0, EVENT.length) === 0 ? 0 : event.indexOf(EVENT);
  if (at < 0) return null;
  let start = at + EVENT.length;
  if (event[start] === 0x20) start++;
  let end = event.indexOf(LF, start);
  if (end < 0) end = event.length;
  if (event[end - 1] === CR) end--;
  return event.toString('latin1', start, end);
}

function dataOf(event: Buffer): unknown {
  const at = event.indexOf('data:');
  if (at < 0) return null;
  try {
    return JSON.parse(event.toString('utf8', at + 5));
  } catch {
    return null;
  }
}
