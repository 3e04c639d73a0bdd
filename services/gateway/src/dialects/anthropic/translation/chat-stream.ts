import { MAX_SSE_EVENT_BYTES } from '../../../providers/sse-event-bound';
import { DROP, SseScanner } from '../../openai/sse-scanner';
import type { TokenCounts } from '../../../usage/token-counts';
import { anthropicUsage, stopReason } from './to-message';

const DATA = Buffer.from('data:');
const DONE = Buffer.from('[DONE]');

interface ChatChunk {
  choices?: {
    delta?: {
      content?: unknown;
      tool_calls?: { index?: number; id?: unknown; function?: { name?: unknown; arguments?: unknown } }[];
    };
    finish_reason?: unknown;
  }[];
  usage?: unknown;
}

const event = (data: Record<string, unknown>): string => `event: ${data.type}\ndata: ${JSON.stringify(data)}\n\n`;

/**
 * An OpenAI chat completion stream as Anthropic's Messages events, translated as it arrives:
 * `message_start` with the first chunk, a text block for content, a tool_use block per tool call
 * with its arguments as `input_json_delta`, each block stopped when the next begins or the choice
 * finishes. The `message_delta` (stop reason and the billed usage) and `message_stop` are the
 * stream's ending, written once the call is finished. The upstream's events are split (and its
 * usage and generated text read) by the OpenAI scanner this extends.
 */
export class ChatToMessagesStream extends SseScanner {
  private out = '';
  private started = false;
  /** The block being streamed: its index and kind; -1 before the first. */
  private index = -1;
  private open: 'text' | 'tool_use' | null = null;
  /** A tool call's index in the upstream's chunks → its block's index. */
  private readonly toolBlocks = new Map<number, number>();
  private stop: string | null = null;

  constructor(
    private readonly id: string,
    private readonly model: string,
    maxEventBytes = MAX_SSE_EVENT_BYTES,
  ) {
    super(true, maxEventBytes);
  }

  override push(chunk: Buffer): Buffer | null {
    super.push(chunk);
    return this.take();
  }

  override flush(): Buffer | null {
    super.flush();
    return this.take();
  }

  /**
   * The stream's last events, once the call is finished with these tokens: its stop reason and usage, or an error if it
   * broke.
   */
  ending(upstreamFailed: boolean, tokens: TokenCounts | null, brokenEvent: string): Buffer {
    this.begin();
    if (upstreamFailed) this.out += brokenEvent;
    else {
      this.close();
      this.out += event({
        type: 'message_delta',
        delta: { stop_reason: this.stop ?? 'end_turn', stop_sequence: null },
        usage: tokens ? anthropicUsage(tokens) : { output_tokens: 0 },
      });
      this.out += event({ type: 'message_stop' });
    }
    return this.take()!;
  }

  protected override inspect(raw: Buffer): number {
    const at = raw.indexOf(DATA);
    if (at < 0) return DROP;
    let start = at + DATA.length;
    if (raw[start] === 0x20) start++;
    if (raw.compare(DONE, 0, DONE.length, start, start + DONE.length) === 0) return DROP;
    let chunk: ChatChunk;
    try {
      chunk = JSON.parse(raw.toString('utf8', start));
    } catch {
      return DROP;
    }
    if (chunk.usage !== null && chunk.usage !== undefined) this.usage = chunk.usage;
    this.begin();
    const choice = chunk.choices?.[0];
    const delta = choice?.delta;
    if (typeof delta?.content === 'string' && delta.content !== '') {
      if (this.open !== 'text') this.startBlock('text', { type: 'text', text: '' });
      this.out += event({
        type: 'content_block_delta',
        index: this.index,
        delta: { type: 'text_delta', text: delta.content },
      });
    }
    for (const call of delta?.tool_calls ?? []) {
      const key = call.index ?? 0;
      if (typeof call.id === 'string' && !this.toolBlocks.has(key)) {
        this.startBlock('tool_use', {
          type: 'tool_use',
          id: call.id,
          name: String(call.function?.name ?? ''),
          input: {},
        });
        this.toolBlocks.set(key, this.index);
      }
      const args = call.function?.arguments;
      const block = this.toolBlocks.get(key);
      if (typeof args === 'string' && args !== '' && block !== undefined)
        this.out += event({
          type: 'content_block_delta',
          index: block,
          delta: { type: 'input_json_delta', partial_json: args },
        });
    }
    if (choice?.finish_reason) {
      this.stop = stopReason(choice.finish_reason);
      this.close();
    }
    return DROP;
  }

  private begin(): void {
    if (this.started) return;
    this.started = true;
    const message = {
      id: this.id,
      type: 'message',
      role: 'assistant',
      model: this.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: 0, output_tokens: 0 },
    };
    this.out += event({ type: 'message_start', message });
  }

  private startBlock(kind: 'text' | 'tool_use', block: Record<string, unknown>): void {
    this.close();
    this.index++;
    this.open = kind;
    this.out += event({ type: 'content_block_start', index: this.index, content_block: block });
  }

  private close(): void {
    if (this.open === null) return;
    this.out += event({ type: 'content_block_stop', index: this.index });
    this.open = null;
  }

  private take(): Buffer | null {
    if (this.out === '') return null;
    const out = Buffer.from(this.out);
    this.out = '';
    return out;
  }
}
