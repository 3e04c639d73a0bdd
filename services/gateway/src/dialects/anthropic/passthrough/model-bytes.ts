import { isJsonBlank, JsonByte } from '@sluice/service';

const { QUOTE, BACKSLASH, OPEN_OBJECT, CLOSE_OBJECT, OPEN_ARRAY, CLOSE_ARRAY, COLON, COMMA } = JsonByte;
const MODEL = Buffer.from('"model"');

/**
 * The body with its top-level `model` set to `model`, every other byte as the client sent it (so
 * thinking signatures, cache breakpoints and anything Sluice does not know reach Anthropic
 * untouched). Every top-level member named `model` is rewritten, an escaped spelling of the name
 * included: whichever one the upstream's parser keeps, it is the model policy authorized. The
 * body was parsed already (JSON.parse), so it is valid JSON; null if it is not an object after all.
 */
export function withModel(raw: Buffer, model: string): Buffer | null {
  let i = skipSpace(raw, 0);
  if (raw[i] !== OPEN_OBJECT) return null;
  const spans: [number, number][] = [];
  i = skipSpace(raw, i + 1);
  while (i < raw.length && raw[i] !== CLOSE_OBJECT) {
    if (raw[i] !== QUOTE) return null;
    const keyEnd = stringEnd(raw, i);
    const isModel = isModelKey(raw, i, keyEnd);
    i = skipSpace(raw, keyEnd + 1);
    if (raw[i] !== COLON) return null;
    const valueStart = skipSpace(raw, i + 1);
    const valueEnd = valueEndOf(raw, valueStart);
    if (isModel) spans.push([valueStart, valueEnd]);
    i = skipSpace(raw, valueEnd);
    if (raw[i] === COMMA) i = skipSpace(raw, i + 1);
  }
  if (spans.length === 0) return null;
  const value = Buffer.from(JSON.stringify(model));
  const parts: Buffer[] = [];
  let from = 0;
  for (const [start, end] of spans) {
    parts.push(raw.subarray(from, start), value);
    from = end;
  }
  parts.push(raw.subarray(from));
  return Buffer.concat(parts);
}

/** Whether the key string from `start` to its closing quote `end` reads `model`, however it is escaped. */
function isModelKey(raw: Buffer, start: number, end: number): boolean {
  if (end - start + 1 === MODEL.length && raw.compare(MODEL, 0, MODEL.length, start, end + 1) === 0) return true;
  const backslash = raw.indexOf(BACKSLASH, start);
  return backslash >= 0 && backslash < end && JSON.parse(raw.toString('utf8', start, end + 1)) === 'model';
}

function skipSpace(buf: Buffer, i: number): number {
  while (i < buf.length && isJsonBlank(buf[i])) i++;
  return i;
}

/** Where the string opening at `start` closes (the index of its closing quote). */
function stringEnd(buf: Buffer, start: number): number {
  let i = start + 1;
  for (;;) {
    const quote = buf.indexOf(QUOTE, i);
    if (quote < 0) return buf.length;
    let backslashes = 0;
    for (let j = quote - 1; j > start && buf[j] === BACKSLASH; j--) backslashes++;
    if (backslashes % 2 === 0) return quote;
    i = quote + 1;
  }
}

/** The end (exclusive) of the JSON value starting at `start`. */
function valueEndOf(buf: Buffer, start: number): number {
  const c = buf[start];
  if (c === QUOTE) return stringEnd(buf, start) + 1;
  if (c !== OPEN_OBJECT && c !== OPEN_ARRAY) {
    let i = start;
    while (
      i < buf.length &&
      buf[i] !== COMMA &&
      buf[i] !== CLOSE_OBJECT &&
      buf[i] !== CLOSE_ARRAY &&
      !isJsonBlank(buf[i])
    )
      i++;
    return i;
  }
  let depth = 0;
  for (let i = start; i < buf.length; i++) {
    const b = buf[i];
    if (b === QUOTE) i = stringEnd(buf, i);
    else if (b === OPEN_OBJECT || b === OPEN_ARRAY) depth++;
    else if ((b === CLOSE_OBJECT || b === CLOSE_ARRAY) && --depth === 0) return i + 1;
  }
  return buf.length;
}
