import fc from 'fast-check';

/** Strings a hostile caller picks: ASCII, every plane of Unicode, control characters, NULs, lone surrogates. */
export const nastyString = (maxLength = 64) =>
  fc.oneof(
    fc.string({ maxLength }),
    fc.string({ unit: 'binary', maxLength }),
    fc.string({ unit: 'grapheme', maxLength }),
    fc.constantFrom(
      '',
      '\u0000',
      'a\u0000b',
      '\ud800',
      '\udfff x',
      '%00',
      '../../etc/passwd',
      '${jndi:x}',
      '<script>',
      "' OR 1=1 --",
      '\r\n',
      'null',
      '[]',
      '{}',
      '1e309',
      '-0',
    ),
  );

/** A JSON value of any shape, numbers at their extremes included. */
export const anyJson = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  fc.constantFrom(null, true, 0, -1, 1e308, -1e308, 2 ** 53 + 1, 0.1, '', [], {}),
  nastyString(),
);

/** A body nested far deeper than any real request, as arrays or objects. */
export const deepJson = fc
  .integer({ min: 100, max: 100_000 })
  .chain((depth) =>
    fc.constantFrom(
      `${'['.repeat(depth)}${']'.repeat(depth)}`,
      `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`,
      `{"model":"m","messages":[{"role":"user","content":${'['.repeat(depth)}${']'.repeat(depth)}}]}`,
    ),
  );

/** A valid object with one field replaced, removed or added — the mutation a fuzzer learns most from. */
export function mutated(valid: Record<string, unknown>, fields: string[]): fc.Arbitrary<Record<string, unknown>> {
  return fc
    .tuple(fc.constantFrom(...fields, '__extra__'), fc.oneof(anyJson, fc.constant(undefined)), nastyString(16))
    .map(([field, value, extraName]) => {
      const out: Record<string, unknown> = { ...valid };
      const name = field === '__extra__' ? extraName : field;
      if (value === undefined) delete out[name];
      else out[name] = value;
      return out;
    });
}

/** A header value: printable or not, but never CR or LF (those would write another header, not fuzz this one). */
export const headerValue = fc
  .oneof(
    fc.string({ maxLength: 80 }),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.constantFrom(
      '',
      ' ',
      '\u0000',
      '\t',
      'null',
      'Bearer',
      'Bearer ',
      '{"_user":"\\u0000"}',
      '{"a":1}',
      '[1,2]',
      'x'.repeat(9000),
    ),
  )
  .map((v) => v.replace(/[\r\n]/g, ''));

/** Encodes a string as a header would carry it (UTF-8 bytes read as Latin-1 on the wire). */
export const wire = (s: string): string => Buffer.from(s, 'utf8').toString('latin1');

/** Percent-encodes every byte of the string's UTF-8 (a lone surrogate included, as U+FFFD), for a path segment. */
export const pathSegment = (s: string): string =>
  [...Buffer.from(s, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
