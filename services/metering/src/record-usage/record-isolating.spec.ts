import { recordIsolating } from './record-isolating';

const BAD = new Error('bad item');
const DOWN = new Error('database down');

/** Records all-or-nothing, like one transaction; fails if any item is bad. */
function recorder(bad: Set<number>, down = () => false) {
  const recorded: number[] = [];
  let attempts = 0;
  const record = async (items: readonly number[]) => {
    attempts++;
    if (down()) throw DOWN;
    if (items.some((i) => bad.has(i))) throw BAD;
    recorded.push(...items);
  };
  return { record, recorded, attempts: () => attempts };
}

describe('isolating the items a batch cannot record', () => {
  const items = Array.from({ length: 256 }, (_, i) => i);
  const aboutTheItems = (err: unknown) => err === BAD;

  it('records a good batch in one attempt', async () => {
    const r = recorder(new Set());
    expect(await recordIsolating(items, r.record, aboutTheItems)).toEqual([]);
    expect([r.recorded.length, r.attempts()]).toEqual([256, 1]);
  });

  it('records every other item and returns the bad one, in 17 attempts for one bad item in 256', async () => {
    const r = recorder(new Set([200]));
    expect(await recordIsolating(items, r.record, aboutTheItems)).toEqual([{ item: 200, err: BAD }]);
    expect(r.recorded.sort((a, b) => a - b)).toEqual(items.filter((i) => i !== 200));
    expect(r.attempts()).toBe(17);
  });

  it('finds several bad items', async () => {
    const r = recorder(new Set([0, 1, 255]));
    expect((await recordIsolating(items, r.record, aboutTheItems)).map((u) => u.item)).toEqual([0, 1, 255]);
    expect(r.recorded).toHaveLength(253);
  });

  it('throws a failure that is not about the items, so the caller retries them all', async () => {
    const r = recorder(new Set([3]), () => r.attempts() > 2);
    await expect(recordIsolating(items, r.record, aboutTheItems)).rejects.toBe(DOWN);
  });
});
