import { Partitioning } from './partitioning';

describe('policy partitioning from the environment', () => {
  it('is one partition owning every key by default', () => {
    const p = Partitioning.fromEnv({});
    expect([p.partitions, p.mine, p.owns('key_anything'), p.others()]).toEqual([1, 0, true, []]);
  });

  it('takes the partition from SLUICE_POLICY_PARTITION, or from a StatefulSet pod name', () => {
    expect(Partitioning.fromEnv({ SLUICE_POLICY_PARTITIONS: '3', SLUICE_POLICY_PARTITION: '1' }).others()).toEqual([
      0, 2,
    ]);
    expect(Partitioning.fromEnv({ SLUICE_POLICY_PARTITIONS: '3', HOSTNAME: 'sluice-policy-2' }).mine).toBe(2);
  });

  it('refuses to start with a partition it cannot own, rather than count keys twice', () => {
    expect(() => Partitioning.fromEnv({ SLUICE_POLICY_PARTITIONS: '2', SLUICE_POLICY_PARTITION: '2' })).toThrow(
      'between 0 and 1',
    );
    expect(() => Partitioning.fromEnv({ SLUICE_POLICY_PARTITIONS: '2', HOSTNAME: 'policy' })).toThrow(
      'between 0 and 1',
    );
    expect(() => Partitioning.fromEnv({ SLUICE_POLICY_PARTITIONS: '0' })).toThrow('whole number');
  });

  it('splits keys between partitions so that exactly one owns each', () => {
    const all = [0, 1, 2].map((mine) => new Partitioning(3, mine));
    for (const keyId of ['key_a', 'key_b', 'key_c', 'key_zz9'])
      expect(all.filter((p) => p.owns(keyId))).toHaveLength(1);
  });
});
