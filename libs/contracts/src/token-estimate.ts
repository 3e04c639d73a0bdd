import { base64ImageSize, dataUrlImageSize } from './image-size';
import { noImages, tilesOf, type ImageTally } from './image-tokens';
import type { Operation } from './rpc';

/**
 * What a call's prompt costs in tokens, read from its body, two ways:
 *
 * - the **estimate** (about four characters a token, plus the few tokens OpenAI's chat format
 *   spends per message and to prime the reply): what tokens-per-minute and the rate-limit headers
 *   count, as OpenAI counts them;
 * - the **bound**: at least what any provider can bill for it, which the budget reserves. Byte-level
 *   BPE tokenizers (OpenAI's, Llama 3's, Claude's) never make more tokens than the text has UTF-8
 *   bytes, and a caller can craft text near one token per byte; so every string counts its bytes,
 *   and every JSON structure (messages, tool and function definitions, response formats, tool
 *   calls) counts its whole serialised size, keys and punctuation included — more than the
 *   chat-template tokens around a message or the TypeScript-like form OpenAI renders tools in.
 *
 * Images are tallied, not counted: their tokens depend on the upstream model (imageTokens).
 * Shared so the admin API's dry run estimates a prompt exactly as the gateway does for authorize.
 */
export interface PromptTokens {
  estimate: number;
  bound: number;
  images: ImageTally | null;
}

export const tokensForChars = (chars: number): number => Math.ceil(chars / 4);

const PER_MESSAGE = 4;
const PER_REPLY = 3;
/** Template tokens that prime the reply and wrap each message, on any chat template we know (OpenAI 3 and 3–4, Llama 3 4 and 5). */
const BOUND_PER_REPLY = 16;
const BOUND_PER_MESSAGE = 8;
/**
 * A provider's own system prompt for tool use: Anthropic documents 159–530 tokens depending on
 * the model and tool_choice (Claude 3 Opus, auto: 530); OpenAI wraps definitions in a namespace.
 */
export const TOOL_PREAMBLE_TOKENS = 600;
/**
 * Audio parts: OpenAI bills 10 audio tokens a second; the leanest format it takes (mp3 at 8 kbit/s)
 * is 1,333 base64 characters a second, so one token per 100 characters is above it.
 */
const AUDIO_CHARS_PER_TOKEN = 100;
/**
 * File parts (PDFs): no size-based bound exists (a compressed text stream can hold far more text
 * than its bytes), so this is Sluice's stated bound: the base64 length, and at least 100,000 tokens.
 */
export const FILE_TOKENS = 100_000;

/** JSON quotes and a separator around each string and key. */
const QUOTED = 3;

/** The prompt sizes of a call body; see PromptTokens. */
export function promptTokens(op: Operation, body: Record<string, unknown>): PromptTokens {
  if (op === 'chat') return chatPromptTokens(body);
  if (op === 'messages') return messagesPromptTokens(body);
  if (op === 'responses') return responsesPromptTokens(body);
  const input = op === 'completions' ? body.prompt : body.input;
  const t = new Tally();
  t.input(input);
  if (op === 'completions' && typeof body.suffix === 'string') t.json(body.suffix);
  const estimate =
    inputEstimate(input) +
    (op === 'completions' && typeof body.suffix === 'string' ? tokensForChars(body.suffix.length) : 0);
  return { estimate, bound: t.bytes, images: null };
}

/** The estimate alone (the admin API's dry run shows it as the prompt's tokens). */
export const estimatePromptTokens = (op: Operation, body: Record<string, unknown>): number =>
  promptTokens(op, body).estimate;

function chatPromptTokens(body: Record<string, unknown>): PromptTokens {
  const t = new Tally();
  let estimate = PER_REPLY;
  let bound = BOUND_PER_REPLY;
  const messages = Array.isArray(body.messages) ? (body.messages as unknown[]) : [];
  for (const m of messages) {
    bound += BOUND_PER_MESSAGE;
    estimate += PER_MESSAGE;
    if (m === null || typeof m !== 'object') {
      t.json(m);
      continue;
    }
    const message = m as Record<string, unknown>;
    for (const field in message) {
      t.key(field);
      const value = message[field];
      if (field === 'content') {
        const text = t.text;
        t.content(value);
        estimate += tokensForChars(t.text - text);
      } else if (field === 'tool_calls' || field === 'function_call') {
        const chars = t.chars;
        t.json(value);
        estimate += tokensForChars(t.chars - chars);
      } else {
        t.json(value);
      }
    }
  }
  const definitions = t.definitions(body, BILLED_DEFINITIONS, (field) => field === 'tools' || field === 'functions');
  estimate += definitions.estimate;
  if (definitions.preamble) bound += TOOL_PREAMBLE_TOKENS;
  return { estimate: estimate + t.media, bound: bound + t.bytes + t.media, images: t.images };
}

/**
 * Anthropic's Messages body: the system prompt (a string or text blocks), every message (its
 * content a string or blocks: text, images, documents, tool uses and results, thinking), the tool
 * definitions and a forced tool choice. Thinking and output settings add no prompt tokens: what
 * the model thinks is output, within `max_tokens`.
 */
function messagesPromptTokens(body: Record<string, unknown>): PromptTokens {
  const t = new Tally();
  let estimate = PER_REPLY;
  let bound = BOUND_PER_REPLY;
  if (body.system !== undefined && body.system !== null) {
    estimate += PER_MESSAGE + t.blocks(body.system);
    bound += BOUND_PER_MESSAGE;
  }
  const messages = Array.isArray(body.messages) ? (body.messages as unknown[]) : [];
  for (const m of messages) {
    bound += BOUND_PER_MESSAGE;
    estimate += PER_MESSAGE;
    if (m === null || typeof m !== 'object' || Array.isArray(m)) {
      t.json(m);
      continue;
    }
    const message = m as Record<string, unknown>;
    for (const field in message) {
      t.key(field);
      if (field === 'content') estimate += t.blocks(message.content);
      else t.json(message[field]);
    }
  }
  const definitions = t.definitions(body, MESSAGES_DEFINITIONS, listsTools);
  estimate += definitions.estimate;
  if (definitions.preamble) bound += TOOL_PREAMBLE_TOKENS;
  return { estimate: estimate + t.media, bound: bound + t.bytes + t.media, images: t.images };
}

/** Body fields besides the messages that the upstream renders into the prompt and bills. */
const BILLED_DEFINITIONS = ['tools', 'functions', 'response_format', 'tool_choice', 'function_call'] as const;
/** The same for a Responses body (`text` holds the output format's schema) and a Messages body. */
const RESPONSES_DEFINITIONS = ['tools', 'tool_choice', 'text'] as const;
const MESSAGES_DEFINITIONS = ['tools', 'tool_choice'] as const;
/** Messages and Responses bring the tool preamble only with a non-empty tool list (Claude Code sends `tools: []`). */
const listsTools = (field: string, value: unknown): boolean =>
  field === 'tools' && Array.isArray(value) && value.length > 0;

/**
 * A Responses body: `instructions`, the `input` (a string, or items of every type: messages and
 * their parts, function calls and their outputs, reasoning, tool calls …) and, when Sluice keeps
 * the conversation a `previous_response_id` continues, its items (`previous`) — the upstream is sent
 * and bills all of them. Each item counts like a chat message: its text at four characters a token
 * for the estimate, its whole JSON for the bound, media parts by their own rules.
 */
export function responsesPromptTokens(body: Record<string, unknown>, previous: readonly unknown[] = []): PromptTokens {
  const t = new Tally();
  let estimate = PER_REPLY;
  let bound = BOUND_PER_REPLY;
  const item = (value: unknown) => {
    bound += BOUND_PER_MESSAGE;
    estimate += PER_MESSAGE;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      const chars = t.chars;
      t.content(value);
      estimate += tokensForChars(t.chars - chars);
      return;
    }
    const fields = value as Record<string, unknown>;
    for (const field in fields) {
      t.key(field);
      const chars = t.chars;
      if (field === 'content') t.content(fields[field]);
      else t.json(fields[field]);
      if (!UNBILLED_ITEM_FIELDS.has(field)) estimate += tokensForChars(t.chars - chars);
    }
  };
  for (const p of previous) item(p);
  const instructions = body.instructions;
  if (typeof instructions === 'string') item(instructions);
  else if (Array.isArray(instructions)) for (const i of instructions) item(i);
  const input = body.input;
  if (Array.isArray(input)) for (const i of input) item(i);
  else if (input !== undefined && input !== null) item(input);
  const definitions = t.definitions(body, RESPONSES_DEFINITIONS, listsTools);
  estimate += definitions.estimate;
  if (definitions.preamble) bound += TOOL_PREAMBLE_TOKENS;
  return { estimate: estimate + t.media, bound: bound + t.bytes + t.media, images: t.images };
}

/** Item fields that identify rather than say something: in the bound, not in the estimate. */
const UNBILLED_ITEM_FIELDS = new Set(['type', 'role', 'id', 'call_id', 'status']);

/** Prompt of /v1/completions or input of /v1/embeddings: a string, strings, or token arrays. */
function inputEstimate(input: unknown): number {
  if (typeof input === 'string') return tokensForChars(input.length);
  if (!Array.isArray(input)) return 0;
  if (input.length > 0 && input.every((x) => typeof x === 'number')) return input.length;
  let n = 0;
  for (const item of input) n += inputEstimate(item);
  return n;
}

/**
 * Sizes of the billed parts of a body as they are walked: `chars` and `bytes` the serialised size
 * (escapes not expanded) in characters and in UTF-8 bytes, `text` the characters of message text,
 * `media` the tokens of audio and file parts, `images` the image parts.
 */
class Tally {
  chars = 0;
  bytes = 0;
  text = 0;
  media = 0;
  images: ImageTally | null = null;
  /** The media payload of the part being walked: counted by its own rule, not as text. */
  private skip: string | null = null;

  /**
   * Definitions the upstream renders into the prompt (tools, formats, a forced choice): their whole
   * JSON in the bound; the estimate they add, and whether one brings the tool preamble.
   */
  definitions(
    body: Record<string, unknown>,
    fields: readonly string[],
    bringsPreamble: (field: string, value: unknown) => boolean,
  ): { estimate: number; preamble: boolean } {
    let estimate = 0;
    let preamble = false;
    for (const field of fields) {
      const value = body[field];
      if (value === undefined || value === null) continue;
      preamble ||= bringsPreamble(field, value);
      const chars = this.chars;
      this.json(value);
      estimate += tokensForChars(this.chars - chars);
    }
    return { estimate, preamble };
  }

  key(k: string): void {
    this.chars += k.length + QUOTED;
    this.bytes += utf8Bytes(k) + QUOTED;
  }

  json(v: unknown): void {
    if (typeof v === 'string') {
      if (v === this.skip) {
        // Once: the same string beside the payload is text the caller sent twice.
        this.skip = null;
        return;
      }
      this.chars += v.length + QUOTED;
      this.bytes += utf8Bytes(v) + QUOTED;
    } else if (typeof v === 'number') {
      const n = digits(v) + 1;
      this.chars += n;
      this.bytes += n;
    } else if (Array.isArray(v)) {
      this.chars += 2;
      this.bytes += 2;
      for (const item of v) this.json(item);
    } else if (v !== null && typeof v === 'object') {
      this.chars += 2;
      this.bytes += 2;
      const o = v as Record<string, unknown>;
      for (const k in o) {
        this.key(k);
        this.json(o[k]);
      }
    } else {
      this.chars += 6;
      this.bytes += 6;
    }
  }

  /** A message's content: a string, or parts of text, images, audio and files. */
  content(content: unknown): void {
    if (typeof content === 'string') {
      this.text += content.length;
      this.json(content);
      return;
    }
    if (!Array.isArray(content)) {
      this.json(content);
      return;
    }
    this.chars += 2;
    this.bytes += 2;
    for (const part of content) {
      if (typeof part === 'string') this.text += part.length;
      else if (part && typeof (part as { text?: unknown }).text === 'string')
        this.text += (part as { text: string }).text.length;
      // The whole part counts but a media payload, so nothing a caller hides beside it is free.
      if (part !== null && typeof part === 'object') this.skip = this.mediaPart(part as Record<string, unknown>);
      this.json(part);
      this.skip = null;
    }
  }

  /**
   * Anthropic content: a string or blocks, walked like any JSON but for media, which count by
   * their own rule (images tallied, documents as files), and the content nested in tool results,
   * which may hold images too. Returns the estimate: text and the JSON of other blocks, at four
   * characters a token.
   */
  blocks(content: unknown): number {
    if (!Array.isArray(content)) {
      const chars = this.chars;
      this.json(content);
      return tokensForChars(this.chars - chars);
    }
    let estimate = 0;
    this.chars += 2;
    this.bytes += 2;
    for (const block of content) {
      if (block === null || typeof block !== 'object' || Array.isArray(block)) {
        const chars = this.chars;
        this.json(block);
        estimate += tokensForChars(this.chars - chars);
        continue;
      }
      const b = block as Record<string, unknown>;
      this.chars += 2;
      this.bytes += 2;
      const chars = this.chars;
      // A tool result's content is walked as blocks of its own (it may hold images); its estimate is theirs.
      let nested = 0;
      let nestedChars = 0;
      for (const k in b) {
        this.key(k);
        const v = b[k];
        if (k === 'content' && b.type === 'tool_result') {
          const before = this.chars;
          nested += this.blocks(v);
          nestedChars += this.chars - before;
        } else if (
          k === 'source' &&
          (b.type === 'image' || b.type === 'document') &&
          v !== null &&
          typeof v === 'object'
        ) {
          this.skip = this.anthropicSource(b.type, v as Record<string, unknown>);
          this.json(v);
          this.skip = null;
        } else {
          this.json(v);
        }
      }
      estimate += tokensForChars(this.chars - chars - nestedChars) + nested;
    }
    return estimate;
  }

  /** An Anthropic image or document source: its own rule applies. Returns its payload, which is not text. */
  private anthropicSource(type: 'image' | 'document', source: Record<string, unknown>): string | null {
    const data = source.type === 'base64' && typeof source.data === 'string' ? source.data : null;
    if (type === 'image') {
      const images = (this.images ??= noImages());
      const size = data === null ? null : base64ImageSize(data);
      if (size === null) images.unsized++;
      else {
        images.sized++;
        images.tiles += tilesOf(size.width, size.height);
      }
      return data;
    }
    // A plain-text document is text, counted as such; a PDF (or a file or URL) by the file rule.
    if (source.type === 'text' || source.type === 'content') return null;
    this.media += Math.max(FILE_TOKENS, data?.length ?? 0);
    return data;
  }

  /** An image, audio or file part: its own rule applies. Returns its payload, which is not text. */
  private mediaPart(part: Record<string, unknown>): string | null {
    if (part.type === 'image_url' || part.type === 'input_image') {
      // Chat: `image_url: {url, detail}`; Responses: `image_url: "<url>"` (or a `file_id`) beside `detail`.
      const image = part.image_url as { url?: unknown; detail?: unknown } | string | undefined;
      const url = typeof image === 'string' ? image : image?.url;
      const detail = typeof image === 'object' && image !== null ? image.detail : part.detail;
      const images = (this.images ??= noImages());
      const size = typeof url === 'string' ? dataUrlImageSize(url) : null;
      if (detail === 'low') images.low++;
      else if (size === null) images.unsized++;
      else {
        images.sized++;
        images.tiles += tilesOf(size.width, size.height);
      }
      return typeof url === 'string' ? url : null;
    }
    if (part.type === 'input_audio') {
      const data = (part.input_audio as { data?: unknown } | undefined)?.data;
      this.media += Math.ceil((typeof data === 'string' ? data.length : 0) / AUDIO_CHARS_PER_TOKEN);
      return typeof data === 'string' ? data : null;
    }
    if (part.type === 'file' || part.type === 'input_file') {
      const data =
        part.type === 'file' ? (part.file as { file_data?: unknown } | undefined)?.file_data : part.file_data;
      this.media += Math.max(FILE_TOKENS, typeof data === 'string' ? data.length : 0);
      return typeof data === 'string' ? data : null;
    }
    return null;
  }

  /** A completions prompt or embeddings input: token ids count one each, strings their bytes. */
  input(input: unknown): void {
    if (typeof input === 'number') this.bytes += 1;
    else if (Array.isArray(input)) for (const item of input) this.input(item);
    else this.json(input);
  }
}

/** UTF-8 length: short strings in JS (a native call costs more than the loop), long ones natively. */
function utf8Bytes(s: string): number {
  if (s.length > 64) return Buffer.byteLength(s);
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // Two bytes from U+0080, three from U+0800; a surrogate pair's two halves make four.
    if (c >= 0x80) n += c >= 0x800 && (c < 0xd800 || c > 0xdfff) ? 2 : 1;
  }
  return n;
}

function digits(n: number): number {
  if (Number.isInteger(n) && n >= 0 && n < 1e9) {
    let d = 1;
    for (let x = n; x >= 10; x = Math.floor(x / 10)) d++;
    return d;
  }
  return String(n).length;
}
