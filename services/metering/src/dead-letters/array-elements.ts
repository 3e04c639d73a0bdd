import { isJsonBlank, JsonByte } from '@sluice/service';

const { QUOTE, BACKSLASH, COMMA, OPEN_ARRAY, CLOSE_ARRAY, OPEN_OBJECT, CLOSE_OBJECT } = JsonByte;

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
    while (from < to && isJsonBlank(json[from])) from++;
    while (to > from && isJsonBlank(json[to - 1])) to--;
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
