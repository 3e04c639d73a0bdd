import type { GeneratedOutput } from '../../../usage/generated-output';
import { GeneratedText } from '../../../usage/generated-text';
import type { EventSource } from '../../../pipeline/event-relay';
import { dataOf, SseEvents } from '../sse-events';
import { functionCallItem, messageItem, newId } from './response-object';

interface OpenText {
  index: number;
  item: ReturnType<typeof messageItem>;
  text: string;
}
interface OpenCall {
  index: number;
  item: ReturnType<typeof functionCallItem>;
}
interface ToolCallDelta {
  index?: number;
  id?: unknown;
  function?: { name?: unknown; arguments?: unknown };
}
interface ChatChunk {
  usage?: unknown;
  choices?: { delta?: { content?: unknown; tool_calls?: ToolCallDelta[] }; finish_reason?: unknown }[];
}

/**
 * A chat completions stream as Responses events, built as the chunks arrive: `response.created`
 * and `in_progress` with the first chunk, then per output item its `added`, its deltas
 * (`output_text.delta` in a content part; `function_call_arguments.delta`) and its `done` events,
 * `sequence_number` rising from 0. The last event (`response.completed`, `incomplete` or
 * `failed`) is written by `final`, once the call is settled and stored.
 */
export class StreamBridge implements EventSource {
  readonly output: Record<string, unknown>[] = [];
  usage: unknown = undefined;
  finishReason: unknown = null;
  readonly generated = new Pieces();
  private seq = 0;
  private started = false;
  private text: OpenText | null = null;
  private readonly calls = new Map<number, OpenCall>();
  private readonly events: SseEvents;

  /** A chat chunk above `maxEventBytes` fails the stream, the text it held counted as generated. */
  constructor(
    private readonly shell: Record<string, unknown>,
    maxEventBytes?: number,
  ) {
    this.events = new SseEvents(maxEventBytes, (partial) => {
      const seen = new GeneratedText();
      seen.scan(partial);
      for (const text of seen.texts()) this.generated.add(text);
    });
  }

  push(chunk: Buffer): string | null {
    let out = '';
    for (const event of this.events.push(chunk)) out += this.translate(event);
    return out === '' ? null : out;
  }

  /** At the upstream's end: a last chunk without its blank line, and the done events of the items still open. */
  flush(): string | null {
    const last = this.events.flush();
    const out = (last ? this.translate(last) : '') + this.closeText() + this.closeCalls();
    return out === '' ? null : out;
  }

  /** The stream's last event, with the finished response (and `created` first, if the upstream sent nothing). */
  final(
    type: 'response.completed' | 'response.incomplete' | 'response.failed',
    response: Record<string, unknown>,
  ): string {
    return (this.started ? '' : this.start()) + this.emit({ type, response });
  }

  private translate(event: Buffer): string {
    const data = dataOf(event);
    if (data === null || data === '[DONE]') return '';
    let chunk: ChatChunk;
    try {
      chunk = JSON.parse(data) as ChatChunk;
    } catch {
      return '';
    }
    if (chunk.usage) this.usage = chunk.usage;
    let out = this.started ? '' : this.start();
    const choice = chunk.choices?.[0];
    if (!choice) return out;
    const delta = choice.delta ?? {};
    if (typeof delta.content === 'string' && delta.content !== '') out += this.textDelta(delta.content);
    for (const call of delta.tool_calls ?? []) out += this.callDelta(call);
    if (choice.finish_reason) this.finishReason = choice.finish_reason;
    return out;
  }

  private start(): string {
    this.started = true;
    return (
      this.emit({ type: 'response.created', response: this.shell }) +
      this.emit({ type: 'response.in_progress', response: this.shell })
    );
  }

  private textDelta(delta: string): string {
    let out = '';
    if (this.text === null) {
      out += this.closeCalls();
      const item = messageItem(newId('msg'), '', 'in_progress');
      this.text = { index: this.output.length, item, text: '' };
      this.output.push(item);
      out += this.emit({
        type: 'response.output_item.added',
        output_index: this.text.index,
        item: { ...item, content: [] },
      });
      out += this.emit({
        type: 'response.content_part.added',
        item_id: item.id,
        output_index: this.text.index,
        content_index: 0,
        part: { type: 'output_text', text: '', annotations: [], logprobs: [] },
      });
    }
    this.text.text += delta;
    this.generated.add(delta);
    return (
      out +
      this.emit({
        type: 'response.output_text.delta',
        item_id: this.text.item.id,
        output_index: this.text.index,
        content_index: 0,
        delta,
        logprobs: [],
      })
    );
  }

  private callDelta(call: ToolCallDelta): string {
    let out = '';
    const key = typeof call.index === 'number' ? call.index : 0;
    let open = this.calls.get(key);
    if (!open) {
      out += this.closeText();
      const item = functionCallItem(
        newId('fc'),
        typeof call.id === 'string' ? call.id : newId('fc'),
        typeof call.function?.name === 'string' ? call.function.name : '',
        '',
        'in_progress',
      );
      open = { index: this.output.length, item };
      this.calls.set(key, open);
      this.output.push(item);
      out += this.emit({ type: 'response.output_item.added', output_index: open.index, item });
    }
    const args = call.function?.arguments;
    if (typeof args === 'string' && args !== '') {
      open.item.arguments += args;
      this.generated.add(args);
      out += this.emit({
        type: 'response.function_call_arguments.delta',
        item_id: open.item.id,
        output_index: open.index,
        delta: args,
      });
    }
    return out;
  }

  private closeText(): string {
    const open = this.text;
    if (open === null) return '';
    this.text = null;
    const part = { type: 'output_text', text: open.text, annotations: [], logprobs: [] };
    open.item.status = 'completed';
    open.item.content = [part];
    return (
      this.emit({
        type: 'response.output_text.done',
        item_id: open.item.id,
        output_index: open.index,
        content_index: 0,
        text: open.text,
        logprobs: [],
      }) +
      this.emit({
        type: 'response.content_part.done',
        item_id: open.item.id,
        output_index: open.index,
        content_index: 0,
        part,
      }) +
      this.emit({ type: 'response.output_item.done', output_index: open.index, item: open.item })
    );
  }

  private closeCalls(): string {
    let out = '';
    for (const open of this.calls.values()) {
      open.item.status = 'completed';
      out += this.emit({
        type: 'response.function_call_arguments.done',
        item_id: open.item.id,
        output_index: open.index,
        arguments: open.item.arguments,
      });
      out += this.emit({ type: 'response.output_item.done', output_index: open.index, item: open.item });
    }
    this.calls.clear();
    return out;
  }

  private emit(event: Record<string, unknown>): string {
    event.sequence_number = this.seq++;
    return `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
  }
}

/** The text a bridged stream generated, for an estimate when the upstream sends no usage. */
class Pieces implements GeneratedOutput {
  chars = 0;
  deltas = 0;
  bytes = 0;
  private readonly pieces: string[] = [];

  add(piece: string): void {
    this.chars += piece.length;
    this.bytes += Buffer.byteLength(piece);
    this.deltas++;
    this.pieces.push(piece);
  }

  texts(): string[] {
    return this.pieces.length === 0 ? [] : [this.pieces.join('')];
  }
}
