import { HeldSseEvent } from '../held-sse-event';
import { MAX_SSE_EVENT_BYTES, SseEventTooLarge } from '../sse-event-bound';
import { NO_TOKENS, type TokenCounts } from '../../usage/token-counts';
import { tokensFromAnthropicUsage } from './anthropic-tokens';
import type { AnthropicUsage } from './anthropic-wire';
import { finishReason, openAiErrorBody, openAiUsage } from './response-mapping';

const LF2 = Buffer.from('\n\n');
const CR = 0x0d;
const endsIn = (buf: Buffer): boolean => buf.includes(LF2);

interface AnthropicEvent {
  type?: string;
  message?: { id?: string; model?: string; usage?: AnthropicUsage };
  index?: number;
  content_block?: { type?: string; text?: string; id?: string; name?: string };
  delta?: { type?: string; text?: string; partial_json?: string; stop_reason?: string | null };
  usage?: AnthropicUsage;
  error?: unknown;
}

/**
 * Anthropic's Messages SSE as OpenAI `chat.completion.chunk` SSE, event by event as the bytes
 * arrive: message_start gives the role chunk, text and tool-argument deltas become content and
 * tool_calls deltas, message_delta the finish reason, and message_stop the usage chunk
 * (`choices: []`) and `[DONE]`, which the gateway's relay bills from and strips or passes on as
 * it does for OpenAI. A partial event waits for the rest of its bytes.
 */
export class AnthropicSseTranslator {
  /** Both a message_stop and an error end the stream; anything else at the end means it was cut. */
  finished = false;
  /** Set by an `error` event: the message Anthropic gave. */
  failed: string | null = null;
  private readonly held = new HeldSseEvent();
  private id = '';
  private model = '';
  private usage: AnthropicUsage = {};
  private started = false;
  /** The usage message_stop closed the stream with, as billed. */
  private final: TokenCounts | null = null;
  private readonly toolIndex = new Map<number, number>();

  constructor(
    private readonly created: number,
    private readonly maxEventBytes = MAX_SSE_EVENT_BYTES,
  ) {}

  push(chunk: Buffer): Buffer | null {
    // SSE lines may end in CRLF; a CR never occurs inside JSON, where it is escaped.
    const clean = chunk.includes(CR) ? Buffer.from(chunk.filter((b) => b !== CR)) : chunk;
    const joined = this.held.append(clean, endsIn);
    let out = '';
    if (joined !== null) {
      const buf = joined.buf;
      let pos = 0;
      for (let end = buf.indexOf(LF2, joined.from); end >= 0; end = buf.indexOf(LF2, pos)) {
        out += this.translate(buf.toString('utf8', pos, end));
        pos = end + LF2.length;
      }
      if (pos < buf.length) this.held.hold(pos === 0 ? buf : buf.subarray(pos));
    }
    if (this.held.length > this.maxEventBytes) throw new SseEventTooLarge(this.maxEventBytes);
    return out === '' ? null : Buffer.from(out);
  }

  private translate(event: string): string {
    let data = '';
    for (const line of event.split('\n'))
      if (line.startsWith('data:')) data += (data ? '\n' : '') + line.slice(line[5] === ' ' ? 6 : 5);
    if (data === '' || this.finished) return '';
    let e: AnthropicEvent;
    try {
      e = JSON.parse(data);
    } catch {
      return '';
    }
    switch (e.type) {
      case 'message_start':
        this.id = e.message?.id ?? '';
        this.model = e.message?.model ?? '';
        this.usage = { ...e.message?.usage };
        this.started = e.message?.usage !== undefined;
        return this.chunk({ role: 'assistant', content: '' });
      case 'content_block_start':
        return this.blockStart(e);
      case 'content_block_delta':
        if (e.delta?.type === 'text_delta' && typeof e.delta.text === 'string')
          return this.chunk({ content: e.delta.text });
        if (e.delta?.type === 'input_json_delta' && typeof e.delta.partial_json === 'string') {
          const index = this.toolIndex.get(e.index ?? -1);
          return index === undefined
            ? ''
            : this.chunk({ tool_calls: [{ index, function: { arguments: e.delta.partial_json } }] });
        }
        return '';
      case 'message_delta':
        for (const [k, v] of Object.entries(e.usage ?? {}))
          if (typeof v === 'number') (this.usage as Record<string, number>)[k] = v;
        return e.delta?.stop_reason ? this.chunk({}, finishReason(e.delta.stop_reason)) : '';
      case 'message_stop':
        this.finished = true;
        this.final = tokensFromAnthropicUsage(this.usage);
        return `data: ${JSON.stringify({ id: this.id, object: 'chat.completion.chunk', created: this.created, model: this.model, choices: [], usage: openAiUsage(this.final ?? NO_TOKENS) })}\n\ndata: [DONE]\n\n`;
      case 'error':
        // A failure, like a dropped connection: the relay answers with its error (a JSON 502 if
        // nothing was sent yet, an SSE error event otherwise) and records the call as failed.
        this.failed = openAiErrorBody(data)?.error.message ?? 'error event';
        return '';
      default:
        return '';
    }
  }

  private blockStart(e: AnthropicEvent): string {
    const block = e.content_block;
    if (block?.type === 'text') return block.text ? this.chunk({ content: block.text }) : '';
    if (block?.type !== 'tool_use') return '';
    const index = this.toolIndex.size;
    this.toolIndex.set(e.index ?? -1, index);
    return this.chunk({
      tool_calls: [{ index, id: block.id, type: 'function', function: { name: block.name, arguments: '' } }],
    });
  }

  /**
   * What Anthropic reported, cache writes included: its usage once message_stop came; before it
   * (a cut stream), message_start's input and cache tokens with no output; null when neither came.
   */
  reportedTokens(): TokenCounts | null {
    if (this.finished) return this.final;
    return this.started ? tokensFromAnthropicUsage({ ...this.usage, output_tokens: 0 }) : null;
  }

  private chunk(delta: Record<string, unknown>, finish: string | null = null): string {
    const c = {
      id: this.id,
      object: 'chat.completion.chunk',
      created: this.created,
      model: this.model,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    };
    return `data: ${JSON.stringify(c)}\n\n`;
  }
}

/**
 * The translated stream; one that ends without message_stop or an error event was cut, and throws like a dropped
 * connection.
 */
export async function* translateStream(
  upstream: AsyncIterable<Buffer> | Iterable<Buffer>,
  created: number,
  maxEventBytes = MAX_SSE_EVENT_BYTES,
  translator = new AnthropicSseTranslator(created, maxEventBytes),
): AsyncGenerator<Buffer> {
  for await (const chunk of upstream) {
    const out = translator.push(chunk);
    if (out !== null) yield out;
    if (translator.failed !== null) break;
  }
  if (!translator.finished && translator.failed === null) {
    const tail = translator.push(LF2);
    if (tail !== null) yield tail;
  }
  if (translator.failed !== null) throw new Error(`the upstream reported an error mid-stream: ${translator.failed}`);
  if (!translator.finished) throw new Error('the upstream stream ended before message_stop');
}
