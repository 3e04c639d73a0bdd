/** The superuser URL of the Postgres server jest's globalSetup started (or was given). */
export function testDatabaseUrl(): string {
  const url = process.env.SLUICE_TEST_DATABASE_URL;
  if (!url) {
    throw new Error(
      'SLUICE_TEST_DATABASE_URL is not set: run tests through jest (its globalSetup starts Postgres) or set it',
    );
  }
  return url;
}
