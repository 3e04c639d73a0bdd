import { compileAllowList } from './glob';

/** The best of a few runs, so a descheduled moment on a busy machine is not counted as the matcher's. */
function fastestMs(run: () => void): number {
  let best = Infinity;
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    run();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

describe('model allow-list globs', () => {
  it('allows every model when the key has no list', () => {
    expect(compileAllowList(null)).toBeNull();
  });

  it('matches exact names, prefixes, suffixes and middles, with `*` standing for any run of characters', () => {
    const allows = compileAllowList(['gpt-4o', 'claude-*', '*-mini', 'o*-pre*view'])!;
    for (const name of [
      'gpt-4o',
      'claude-',
      'claude-3-opus',
      'gpt-4o-mini',
      '-mini',
      'o1-preview',
      'o3-pre-alpha-view',
      'o-preview',
    ])
      expect([name, allows(name)]).toEqual([name, true]);
    for (const name of ['gpt-4o-', 'xclaude-3', 'gpt-4o-mini2', 'o1-preview2', 'x-o1-preview', 'gpt', ''])
      expect([name, allows(name)]).toEqual([name, false]);
  });

  it('needs each literal part in order and without overlap', () => {
    const allows = compileAllowList(['ab*ba'])!;
    expect(allows('aba')).toBe(false);
    expect(allows('abba')).toBe(true);
    expect(compileAllowList(['*a*a*'])!('a')).toBe(false);
    expect(compileAllowList(['*a*a*'])!('xaxa')).toBe(true);
    expect(compileAllowList(['a**b'])!('ab')).toBe(true);
    expect(compileAllowList(['*'])!('')).toBe(true);
  });

  it('treats every other character literally (no regex syntax)', () => {
    const allows = compileAllowList(['gpt-4.1*', 'a+b', '(x)|y', 'q?'])!;
    expect(allows('gpt-4.1-nano')).toBe(true);
    expect(allows('gpt-451-nano')).toBe(false);
    expect(allows('a+b')).toBe(true);
    expect(allows('aab')).toBe(false);
    expect(allows('(x)|y')).toBe(true);
    expect(allows('x')).toBe(false);
    expect(allows('q')).toBe(false);
  });

  // Many matches of a literal part and no match at the end: a backtracking regex retries each one.
  const hostile = `${'mini'.repeat(16 * 1024)}\n`;

  it('answers a 64 KB model name against `*mini*` within 10 ms', () => {
    const allows = compileAllowList(['*mini*'])!;
    expect(fastestMs(() => allows(hostile))).toBeLessThan(10);
    expect(allows(hostile)).toBe(true);
  });

  it('stays linear however many stars the pattern has', () => {
    const names = [hostile, 'a'.repeat(64 * 1024), `${'ab'.repeat(32 * 1024)}\n`];
    for (const list of [['*a*a*a*a*c'], ['gpt-*', '*-mini', '*i*i*n*x'], ['*ab*ab*ab*\n*x']]) {
      const allows = compileAllowList(list)!;
      for (const name of names) expect([list, fastestMs(() => allows(name)) < 10]).toEqual([list, true]);
    }
  });
});
