const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;

const isBlank = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/**
 * The bytes of each element of a JSON array as they were written (blanks around each dropped): one
 * call of a batch is dead-lettered as its publisher wrote it. Parsing and re-serialising would not do:
 * `1e400` reads as Infinity and writes as `null`, and an integer past 2^53 comes back rounded.
 * `json` must be an array that `JSON.parse` took: then every quote, bracket and comma outside a
 * string is structure, and a byte of a multi-byte UTF-8 character is never one of them.
 */
export function arrayElements(json: Uint8Array): Uint8Array[] {
  const elements: Uint8Array[] = [];
  const take = (from: number, to: number) => {
    while (from < to && isBlank(json[from])) from++;
    while (to > from && isBlank(json[to - 1])) to--;
    if (to > from) elements.push(json.subarray(from, to));
  };
  let depth = 0;
  let inString = false;
  let start = 0;
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (depth++ === 0) start = i + 1;
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) {
      if (--depth === 0) take(start, i);
    } else if (c === COMMA && depth === 1) {
      take(start, i);
      start = i + 1;
    }
  }
  return elements;
}
