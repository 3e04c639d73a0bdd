const FIELDS = ['"content":', '"text":', '"arguments":', '"reasoning_content":', '"refusal":'].map((f) => Buffer.from(f));
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Characters of generated text in whole SSE events, counted on the bytes (no JSON.parse per chunk):
 * the string values of the fields a model writes into (`content`, `text`, tool-call `arguments`,
 * reasoning, refusals). An escape counts as one character, a multi-byte UTF-8 sequence as one.
 */
export function generatedChars(events: Buffer): number {
  let total = 0;
  for (const field of FIELDS) {
    let at = events.indexOf(field);
    while (at >= 0) {
      let i = at + field.length;
      while (events[i] === 0x20) i++;
      if (events[i] === QUOTE) total += stringLength(events, i + 1);
      at = events.indexOf(field, i);
    }
  }
  return total;
}

function stringLength(buf: Buffer, i: number): number {
  let n = 0;
  while (i < buf.length) {
    const c = buf[i];
    if (c === QUOTE) return n;
    if (c === BACKSLASH) {
      i += buf[i + 1] === 0x75 ? 6 : 2;
      n++;
      continue;
    }
    if ((c & 0xc0) !== 0x80) n++;
    i++;
  }
  return n;
}
