import { partitionOf } from '@sluice/contracts';

/**
 * Which keys this policy process owns: `SLUICE_POLICY_PARTITIONS` processes each own the keys whose
 * `partitionOf(keyId)` is their `SLUICE_POLICY_PARTITION`. Every process follows every event (so any
 * of them can route a call), but counts, reserves and settles only its own keys.
 */
export class Partitioning {
  constructor(
    readonly partitions: number,
    readonly mine: number,
  ) {
    if (!Number.isInteger(partitions) || partitions < 1)
      throw new Error('SLUICE_POLICY_PARTITIONS must be a whole number ≥ 1');
    if (!Number.isInteger(mine) || mine < 0 || mine >= partitions)
      throw new Error(`SLUICE_POLICY_PARTITION must be between 0 and ${partitions - 1}`);
  }

  /**
   * `SLUICE_POLICY_PARTITIONS` (default 1) and `SLUICE_POLICY_PARTITION`; without the latter, the
   * ordinal at the end of the host name, as a Kubernetes StatefulSet names its pods (`policy-2` → 2).
   */
  static fromEnv(env: NodeJS.ProcessEnv): Partitioning {
    const partitions = Number(env.SLUICE_POLICY_PARTITIONS ?? 1);
    const ordinal = /-(\d+)$/.exec(env.HOSTNAME ?? '')?.[1];
    const mine = Number(env.SLUICE_POLICY_PARTITION ?? (partitions > 1 ? (ordinal ?? Number.NaN) : 0));
    return new Partitioning(partitions, mine);
  }

  ownerOf(keyId: string): number {
    return partitionOf(keyId, this.partitions);
  }

  owns(keyId: string): boolean {
    return this.ownerOf(keyId) === this.mine;
  }

  others(): number[] {
    return Array.from({ length: this.partitions }, (_, i) => i).filter((i) => i !== this.mine);
  }
}
