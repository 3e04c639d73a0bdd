// CLI: `node libs/db/dist/migrate.js` applies every pending migration to DATABASE_URL.
import { createDb } from './create-db';
import { migrateToLatest } from './migrate-to-latest';

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is not set');
  const db = createDb(url, { max: 1 });
  try {
    await migrateToLatest(db);
  } finally {
    await db.destroy();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
