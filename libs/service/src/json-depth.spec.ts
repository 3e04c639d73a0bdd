import { jsonNestsDeeperThan, MAX_JSON_DEPTH } from './json-depth';

const nested = (levels: number, inner = '1') => Buffer.from(`${'['.repeat(levels)}${inner}${']'.repeat(levels)}`);

describe('jsonNestsDeeperThan', () => {
  it('counts arrays and objects alike, up to the bound and not past it', () => {
    expect(jsonNestsDeeperThan(nested(MAX_JSON_DEPTH))).toBe(false);
    expect(jsonNestsDeeperThan(nested(MAX_JSON_DEPTH + 1))).toBe(true);
    expect(jsonNestsDeeperThan(Buffer.from(`${'{"a":'.repeat(3)}1${'}'.repeat(3)}`), 3)).toBe(false);
    expect(jsonNestsDeeperThan(Buffer.from(`${'{"a":['.repeat(2)}1${']}'.repeat(2)}`), 3)).toBe(true);
    expect(jsonNestsDeeperThan(nested(100_000))).toBe(true);
  });

  it('measures the deepest point, not the number of brackets', () => {
    const wide = Buffer.from(JSON.stringify(Array.from({ length: 10_000 }, () => [[{ a: [1] }]])));
    expect(jsonNestsDeeperThan(wide, 5)).toBe(false);
    expect(jsonNestsDeeperThan(wide, 4)).toBe(true);
  });

  it('ignores brackets inside strings, escaped quotes and backslashes included', () => {
    expect(jsonNestsDeeperThan(Buffer.from(JSON.stringify({ text: '[[[[[[{{{{' })), 1)).toBe(false);
    expect(jsonNestsDeeperThan(Buffer.from(JSON.stringify(['say "[[[[" \\', '\\"[[[['])), 1)).toBe(false);
    expect(jsonNestsDeeperThan(Buffer.from(JSON.stringify(['\\', [['x']]])), 2)).toBe(true);
  });
});
