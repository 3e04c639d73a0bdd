/** Where a source file names a table: in a kysely call (`selectFrom('x')`) or an SQL string (`from x`). */
export interface TableReference {
  table: string;
  /** insert, update, delete, alter, truncate or drop, as opposed to a read. */
  write: boolean;
  line: number;
}

const READ = 'selectFrom|leftJoin|innerJoin|rightJoin|fullJoin|from|join';
const WRITE = String.raw`insertInto|updateTable|deleteFrom|replaceInto|delete\s+from|insert\s+into|into|update|alter\s+table|truncate(?:\s+table)?|drop\s+(?:table|view)(?:\s+if\s+exists)?|alterTable|dropTable|dropView`;

/** The table references in TypeScript source, comments ignored. */
export function tableReferences(source: string, tables: readonly string[]): TableReference[] {
  const names = tables.map((t) => t.replace(/[^\w]/g, '')).join('|');
  const pattern = new RegExp(String.raw`\b(${WRITE}|${READ})\s*\(?\s*['"\x60]?(${names})(?![\w])`, 'gi');
  const writes = new RegExp(`^(?:${WRITE})$`, 'i');
  const code = withoutComments(source);
  const found: TableReference[] = [];
  for (const match of code.matchAll(pattern)) {
    const verb = match[1].replace(/\s+/g, ' ');
    found.push({ table: match[2], write: writes.test(verb), line: code.slice(0, match.index).split('\n').length });
  }
  return found;
}

/** Blanks comments, keeping line numbers (a `//` after `:` is a URL, not a comment). */
function withoutComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' ')).replace(/(^|[^:\\])\/\/.*$/gm, '$1');
}
