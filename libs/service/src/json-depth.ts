import { JsonByte } from './json-bytes';

/**
 * How deeply a body's arrays and objects may nest. V8's JSON.parse takes any depth, but
 * JSON.stringify and every recursive walk of the parsed value overflow the stack near 10,000
 * levels; 128 is serde_json's default limit, so a Rust upstream would refuse deeper bodies too,
 * and no real request (tool schemas included) comes near it.
 */
export const MAX_JSON_DEPTH = 128;

const { QUOTE, BACKSLASH, OPEN_OBJECT, OPEN_ARRAY, CLOSE_OBJECT, CLOSE_ARRAY } = JsonByte;

/**
 * Whether JSON text nests arrays and objects more than `max` levels deep, read before it is
 * parsed (so only malformed text can mislead it, and that fails to parse anyway). Brackets inside
 * strings do not count; strings are skipped with indexOf, so a megabyte of base64 costs little.
 */
export function jsonNestsDeeperThan(text: Uint8Array, max = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === QUOTE) {
      // To the closing quote: one preceded by an even run of backslashes.
      for (;;) {
        const end = text.indexOf(QUOTE, i + 1);
        if (end < 0) return false;
        let k = end - 1;
        while (text[k] === BACKSLASH) k--;
        i = end;
        if ((end - 1 - k) % 2 === 0) break;
      }
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (++depth > max) return true;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      depth--;
    }
  }
  return false;
}
