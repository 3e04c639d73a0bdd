import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { TABLE_OWNERS, type Relation, type ServiceName } from './table-owners';
import { tableReferences } from './table-references';

const root = join(__dirname, '..', '..', '..');
const services = readdirSync(join(root, 'services')) as ServiceName[];
const relations = Object.keys(TABLE_OWNERS) as Relation[];

function* sourceFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sourceFiles(path);
    else if (path.endsWith('.ts') && !path.endsWith('.spec.ts')) yield path;
  }
}

/** What `service`'s production source may not do with another service's relations. */
function violations(service: ServiceName, file: string, source: string): string[] {
  return tableReferences(source, relations).flatMap(({ table, write, line }) => {
    const { owner, readers } = TABLE_OWNERS[table as Relation];
    if (owner === service) return [];
    const where = `${relative(root, file)}:${line}`;
    if (write) return [`${where} writes ${owner}'s ${table}`];
    return service in readers
      ? []
      : [`${where} reads ${owner}'s ${table}, which ${owner} does not publish to ${service}`];
  });
}

/** The relations a service's migrations create. */
function createdBy(service: ServiceName): string[] {
  const dir = join(root, 'services', service, 'src', 'db', 'migrations');
  if (!existsSync(dir)) return [];
  const created = [...sourceFiles(dir)].flatMap((file) => {
    const source = readFileSync(file, 'utf8');
    return [...source.matchAll(/createTable\('(\w+)'\)|create\s+(?:or\s+replace\s+)?(?:table|view)\s+(\w+)/gi)].map(
      (m) => m[1] ?? m[2],
    );
  });
  return [...new Set(created)].sort();
}

describe('one owner per table (docs/architecture.md#who-owns-which-table)', () => {
  it.each(services)('%s creates exactly the relations the map says it owns, in its own migrations', (service) => {
    const owned = relations.filter((r) => TABLE_OWNERS[r].owner === service).sort();
    expect(createdBy(service)).toEqual(owned);
  });

  it.each(services)(
    "%s's source reads another service's relation only through a published contract, and writes none",
    (service) => {
      const found = [...sourceFiles(join(root, 'services', service, 'src'))]
        .filter((file) => !file.includes(`${join('src', 'db', 'migrations')}`))
        .flatMap((file) => violations(service, file, readFileSync(file, 'utf8')));
      expect(found).toEqual([]);
    },
  );

  it('only a service migrations live beside: no library migrates a table', () => {
    expect(existsSync(join(root, 'libs', 'db', 'src', 'migrations'))).toBe(false);
  });
});

describe('the check itself', () => {
  const file = join(root, 'services', 'admin-api', 'src', 'example.ts');

  it('refuses a read of an unpublished table, in kysely and in SQL', () => {
    const source =
      "db.selectFrom('usage_records').selectAll();\nsql`select max(started_at) from usage_records u where u.key_id = ${id}`;";
    expect(violations('admin-api', file, source)).toEqual([
      "services/admin-api/src/example.ts:1 reads metering's usage_records, which metering does not publish to admin-api",
      "services/admin-api/src/example.ts:2 reads metering's usage_records, which metering does not publish to admin-api",
    ]);
  });

  it("refuses a write to another service's relation even when it may read it", () => {
    expect(violations('admin-api', file, "await db.updateTable('keys_view').set({ name }).execute();")).toEqual([
      "services/admin-api/src/example.ts:1 writes key-registry's keys_view",
    ]);
    expect(violations('admin-api', file, 'sql`insert into key_spend (key_id) values (${id})`')).toHaveLength(1);
  });

  it('allows a published read, the owner itself, and a mention in a comment', () => {
    expect(
      violations('admin-api', file, "db.selectFrom('usage_calls as u').leftJoin('keys_view as k', 'k.id', 'u.key_id')"),
    ).toEqual([]);
    expect(violations('metering', file, "db.insertInto('usage_records').values(row)")).toEqual([]);
    expect(
      violations(
        'policy',
        file,
        '// summed from usage_records\n/* joined with usage_corrections */ const url = "http://x";',
      ),
    ).toEqual([]);
  });
});
