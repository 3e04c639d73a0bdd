import { AppliedVersions } from './applied-versions';

describe('waiting until policy has applied a change', () => {
  it('answers at once for a version already applied', async () => {
    const versions = new AppliedVersions();
    versions.applied('key-1', 3);
    await expect(versions.waitFor('key-1', 2, 10)).resolves.toBe(true);
  });

  it('answers when the version arrives, and not before', async () => {
    const versions = new AppliedVersions();
    let answered: boolean | undefined;
    const waiting = versions.waitFor('key-1', 2, 1000).then((a) => (answered = a));
    versions.applied('key-1', 1);
    await new Promise((r) => setTimeout(r, 5));
    expect(answered).toBeUndefined();
    versions.applied('key-1', 2);
    await waiting;
    expect(answered).toBe(true);
  });

  it('gives up after the timeout', async () => {
    await expect(new AppliedVersions().waitFor('key-9', 1, 20)).resolves.toBe(false);
  });
});
