import { mediaPart } from './media-parts';
import type { ImageTally } from './image-tokens';

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

/** Tokens OpenAI's chat format spends per message and to prime the reply: in the estimate. */
const PER_MESSAGE = 4;
const PER_REPLY = 3;
/**
 * Template tokens that prime the reply and wrap each message, on any chat template we know (OpenAI 3 and 3–4, Llama 3 4
 * and 5).
 */
const BOUND_PER_REPLY = 16;
const BOUND_PER_MESSAGE = 8;
/**
 * A provider's own system prompt for tool use: Anthropic documents 159–530 tokens depending on
 * the model and tool_choice (Claude 3 Opus, auto: 530); OpenAI wraps definitions in a namespace.
 */
export const TOOL_PREAMBLE_TOKENS = 600;
/** Messages and Responses bring the tool preamble only with a non-empty tool list (Claude Code sends `tools: []`). */
export const listsTools = (field: string, value: unknown): boolean =>
  field === 'tools' && Array.isArray(value) && value.length > 0;

/** JSON quotes and a separator around each string and key. */
const QUOTED = 3;

/**
 * Sizes of the billed parts of a body as they are walked: `chars` and `bytes` the serialised size
 * (escapes not expanded) in characters and in UTF-8 bytes, `text` the characters of message text,
 * `media` the tokens of audio and file parts, `images` the image parts, `estimate` the estimate so
 * far. Each dialect walks its own shape (chat-prompt, messages-prompt, responses-prompt) with these
 * steps; they are methods, not imports, because the walk is on the request path.
 */
export class Tally {
  chars = 0;
  bytes = 0;
  text = 0;
  media = 0;
  images: ImageTally | null = null;
  estimate = PER_REPLY;
  /** Template tokens in the bound: priming the reply, around each message, a tool preamble. */
  private template = BOUND_PER_REPLY;
  /** The media payload of the part being walked: counted by its own rule, not as text. */
  private skip: string | null = null;

  /** A message (or a Responses item) begins: the template tokens around it. */
  turn(): void {
    this.estimate += PER_MESSAGE;
    this.template += BOUND_PER_MESSAGE;
  }

  /** The serialised characters walked since `chars` join the estimate, at four a token. */
  estimateChars(chars: number): void {
    this.estimate += tokensForChars(this.chars - chars);
  }

  /** The message text walked since `text` joins the estimate, at four a token. */
  estimateText(text: number): void {
    this.estimate += tokensForChars(this.text - text);
  }

  /**
   * Definitions the upstream renders into the prompt (tools, formats, a forced choice): their whole
   * JSON in the bound and in the estimate, and the tool preamble if one brings it.
   */
  definitions(
    body: Record<string, unknown>,
    fields: readonly string[],
    bringsPreamble: (field: string, value: unknown) => boolean,
  ): void {
    let preamble = false;
    for (const field of fields) {
      const value = body[field];
      if (value === undefined || value === null) continue;
      preamble ||= bringsPreamble(field, value);
      const chars = this.chars;
      this.json(value);
      this.estimateChars(chars);
    }
    if (preamble) this.template += TOOL_PREAMBLE_TOKENS;
  }

  key(k: string): void {
    this.chars += k.length + QUOTED;
    this.bytes += utf8Bytes(k) + QUOTED;
  }

  /** The brackets of an array or object whose members are walked one by one. */
  brackets(): void {
    this.chars += 2;
    this.bytes += 2;
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
      this.brackets();
      for (const item of v) this.json(item);
    } else if (v !== null && typeof v === 'object') {
      this.brackets();
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

  /** A chat message's or a Responses item's content: a string, or parts of text, images, audio and files. */
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
    this.brackets();
    for (const part of content) {
      if (typeof part === 'string') this.text += part.length;
      else if (part && typeof (part as { text?: unknown }).text === 'string')
        this.text += (part as { text: string }).text.length;
      if (part !== null && typeof part === 'object')
        this.jsonBeside(part, mediaPart(this, part as Record<string, unknown>));
      else this.json(part);
    }
  }

  /**
   * A media part's whole JSON but its payload, counted by its own rule (media-parts): the whole
   * part counts, so nothing a caller hides beside the payload is free.
   */
  jsonBeside(v: unknown, payload: string | null): void {
    this.skip = payload;
    this.json(v);
    this.skip = null;
  }

  /** A completions prompt or embeddings input: token ids count one each, strings their bytes. */
  input(input: unknown): void {
    if (typeof input === 'number') this.bytes += 1;
    else if (Array.isArray(input)) for (const item of input) this.input(item);
    else this.json(input);
  }

  /** The prompt walked: template tokens, text, definitions and media. */
  prompt(): PromptTokens {
    return {
      estimate: this.estimate + this.media,
      bound: this.template + this.bytes + this.media,
      images: this.images,
    };
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
