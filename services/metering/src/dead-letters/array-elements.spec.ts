import { arrayElements } from './array-elements';

const text = (json: string) => arrayElements(new TextEncoder().encode(json)).map((b) => new TextDecoder().decode(b));

describe('each element of a batch, as its publisher wrote it', () => {
  it('splits at the top level only, blanks around each dropped', () => {
    expect(text('[ {"a":[1,2],"b":{"c":3}} ,\n\t{"d":"x"} ]')).toEqual(['{"a":[1,2],"b":{"c":3}}', '{"d":"x"}']);
  });

  it('keeps numbers JSON cannot read back, and bytes of any character, untouched', () => {
    expect(text('[{"n":1e400},{"n":9007199254740993},{"s":"é😀\\u0000"}]')).toEqual([
      '{"n":1e400}',
      '{"n":9007199254740993}',
      '{"s":"é😀\\u0000"}',
    ]);
  });

  it('reads brackets, commas and escaped quotes inside strings as text', () => {
    expect(text('[{"s":"],[{\\","},"a\\\\",3]')).toEqual(['{"s":"],[{\\","}', '"a\\\\"', '3']);
  });

  it('finds no element in an empty array', () => {
    expect(text('[]')).toEqual([]);
    expect(text(' [ \n ] ')).toEqual([]);
  });
});
