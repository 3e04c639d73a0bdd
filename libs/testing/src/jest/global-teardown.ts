import { INFRA_HANDLE } from './global-setup';
import type { TestPostgres } from './test-postgres';

export default async function globalTeardown(): Promise<void> {
  const globals = globalThis as Record<string, unknown>;
  const postgres = globals[INFRA_HANDLE] as TestPostgres | undefined;
  delete globals[INFRA_HANDLE];
  await postgres?.stop();
}
