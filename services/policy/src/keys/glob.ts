/** Compiles model allow-list entries with `*` globs into one matcher; null means "all". */
export function compileAllowList(patterns: string[] | null): ((name: string) => boolean) | null {
  if (!patterns) return null;
  const exact = new Set(patterns.filter((p) => !p.includes('*')));
  const globs = patterns.filter((p) => p.includes('*')).map(compileGlob);
  return (name) => exact.has(name) || globs.some((matches) => matches(name));
}

/**
 * A glob whose only wildcard is `*`, matched without a regex. A backtracking regex retries every
 * occurrence of a literal part against the rest of the name, which is quadratic in a hostile name;
 * here the first part must open the name and the last close it, and each part between is taken at
 * its leftmost place after the one before: the leftmost place leaves the most room for the rest, so
 * if that fails every later place fails too. Each part is searched once: linear in the name.
 */
function compileGlob(pattern: string): (name: string) => boolean {
  const parts = pattern.split('*');
  const head = parts[0];
  const tail = parts[parts.length - 1];
  const middle = parts.slice(1, -1).filter((part) => part !== '');
  const fixed = head.length + tail.length;
  return (name) => {
    if (name.length < fixed || !name.startsWith(head) || !name.endsWith(tail)) return false;
    let from = head.length;
    const end = name.length - tail.length;
    for (const part of middle) {
      const at = name.indexOf(part, from);
      if (at < 0 || at + part.length > end) return false;
      from = at + part.length;
    }
    return true;
  };
}
