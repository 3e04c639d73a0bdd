import { containerImages, resolveInfraMode } from './infra-mode';

describe('SLUICE_TEST_INFRA and the container images', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('runs the tests on testcontainers when told so by the documented name or its short form, locally when told "local"', async () => {
    for (const [value, mode] of [
      ['testcontainers', 'containers'],
      ['containers', 'containers'],
      ['local', 'local'],
    ] as const) {
      process.env.SLUICE_TEST_INFRA = value;
      await expect(resolveInfraMode()).resolves.toBe(mode);
    }
    process.env.SLUICE_TEST_INFRA = 'docker';
    await expect(resolveInfraMode()).rejects.toThrow(
      'SLUICE_TEST_INFRA must be "local" or "testcontainers", not "docker"',
    );
  });

  it('runs the public images unless SLUICE_POSTGRES_IMAGE / SLUICE_NATS_IMAGE name others', () => {
    delete process.env.SLUICE_POSTGRES_IMAGE;
    delete process.env.SLUICE_NATS_IMAGE;
    expect([containerImages.postgres(), containerImages.nats()]).toEqual(['postgres:16-alpine', 'nats:2.10-alpine']);
    process.env.SLUICE_POSTGRES_IMAGE = 'sluice-test/postgres:15-bookworm';
    process.env.SLUICE_NATS_IMAGE = 'sluice-test/nats:2.9-bookworm';
    expect([containerImages.postgres(), containerImages.nats()]).toEqual([
      'sluice-test/postgres:15-bookworm',
      'sluice-test/nats:2.9-bookworm',
    ]);
  });
});
