import { NOTHING_GENERATED, type GeneratedOutput } from './generated-output';

const USAGE = Buffer.from('"usage"');
const OPEN = 0x7b;
const CLOSE = 0x7d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * The `usage` object of a JSON response without parsing the whole body (an embeddings reply can
 * be megabytes of floats): OpenAI writes `usage` near the end, so search from the end for the
 * key (inside a string it would be escaped, `\"usage\"`, and not match) and parse only its
 * object. Falls back to a full parse when the fast path does not apply.
 */
export function usageFromJson(body: Buffer): unknown {
  const at = body.lastIndexOf(USAGE);
  if (at >= 0) {
    let i = skipSpace(body, at + USAGE.length);
    if (body[i] === 0x3a) {
      i = skipSpace(body, i + 1);
      if (body[i] === OPEN) {
        const end = closingBrace(body, i);
        if (end > 0) {
          try {
            return JSON.parse(body.toString('utf8', i, end + 1));
          } catch {
            // fall through to the full parse
          }
        }
      } else if (body[i] === 0x6e) {
        return null;
      }
    }
  } else {
    return undefined;
  }
  try {
    return (JSON.parse(body.toString('utf8')) as { usage?: unknown }).usage;
  } catch {
    return undefined;
  }
}

function skipSpace(buf: Buffer, i: number): number {
  while (i < buf.length && (buf[i] === 0x20 || buf[i] === 0x0a || buf[i] === 0x0d || buf[i] === 0x09)) i++;
  return i;
}

function closingBrace(buf: Buffer, start: number): number {
  let depth = 0;
  for (let i = start; i < buf.length; i++) {
    const c = buf[i];
    if (c === QUOTE) {
      for (i++; i < buf.length && buf[i] !== QUOTE; i++) if (buf[i] === BACKSLASH) i++;
    } else if (c === OPEN) depth++;
    else if (c === CLOSE && --depth === 0) return i;
  }
  return -1;
}

/** The generated text of a JSON reply, per choice: only needed when the upstream sent no usage. */
export function generatedOfJson(body: Buffer): GeneratedOutput {
  let json: {
    choices?: {
      message?: { content?: unknown; refusal?: unknown; tool_calls?: { function?: { arguments?: unknown } }[] };
      text?: unknown;
    }[];
  };
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    return NOTHING_GENERATED;
  }
  const texts: string[] = [];
  for (const choice of json?.choices ?? []) {
    let text = typeof choice?.text === 'string' ? choice.text : '';
    const message = choice?.message;
    if (typeof message?.content === 'string') text += message.content;
    if (typeof message?.refusal === 'string') text += message.refusal;
    for (const call of message?.tool_calls ?? [])
      if (typeof call?.function?.arguments === 'string') text += call.function.arguments;
    if (text.length > 0) texts.push(text);
  }
  let chars = 0;
  let bytes = 0;
  for (const text of texts) {
    chars += text.length;
    bytes += Buffer.byteLength(text);
  }
  return { chars, deltas: 0, bytes, texts: () => texts };
}
