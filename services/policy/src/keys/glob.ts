/** Compiles model allow-list entries with `*` globs into one matcher; null means "all". */
export function compileAllowList(patterns: string[] | null): ((name: string) => boolean) | null {
  if (!patterns) return null;
  const exact = new Set(patterns.filter((p) => !p.includes('*')));
  const globs = patterns.filter((p) => p.includes('*')).map((p) => new RegExp(`^${p.split('*').map(escape).join('.*')}$`));
  return (name) => exact.has(name) || globs.some((g) => g.test(name));
}

const escape = (text: string) => text.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
