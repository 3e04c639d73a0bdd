import { cachedCollection } from './cached-collection';

describe('cachedCollection', () => {
  it('keeps a result for the interval, then collects again', async () => {
    let clock = 1_000;
    let runs = 0;
    const scrape = cachedCollection(
      async () => ++runs,
      2_000,
      () => clock,
    );
    expect(await scrape()).toBe(1);
    clock += 1_999;
    expect(await scrape()).toBe(1);
    clock += 1;
    expect(await scrape()).toBe(2);
  });

  it('does not keep a failed collection: the next scrape collects again', async () => {
    let runs = 0;
    const scrape = cachedCollection(
      async () => {
        if (++runs === 1) throw new Error('postgres is down');
        return runs;
      },
      60_000,
      () => 0,
    );
    const failed = await Promise.allSettled([scrape(), scrape(), scrape()]);
    expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(runs).toBe(1);
    expect(await scrape()).toBe(2);
  });
});
