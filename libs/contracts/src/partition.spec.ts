import { partitionOf } from './partition';

describe('partitionOf', () => {
  it('is stable: the same key id always lands in the same partition, in every process and version', () => {
    expect(partitionOf('key_8cirikjaif0dqnkz7s95', 4)).toBe(partitionOf('key_8cirikjaif0dqnkz7s95', 4));
    // Pinned values: changing the hash would move every key's counters to another process.
    expect(['key_a', 'key_b', 'key_c', 'key_d'].map((id) => partitionOf(id, 4))).toEqual([0, 1, 2, 3]);
  });

  it('puts everything in partition 0 when there is one', () => {
    expect(partitionOf('anything', 1)).toBe(0);
  });

  it('spreads key ids evenly', () => {
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 4000; i++) counts[partitionOf(`key_${i.toString(36)}x${(i * 7919).toString(36)}`, 4)]++;
    for (const n of counts) expect(n).toBeGreaterThan(850);
  });
});
