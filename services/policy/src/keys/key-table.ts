import type { SluiceEvent } from '@sluice/contracts';
import { compileAllowList } from './glob';

export interface KeyPolicy {
  keyId: string;
  status: 'active' | 'revoked';
  allowsModel: ((name: string) => boolean) | null;
  operations: Set<string> | null;
  expiresAt: number | null;
}

/** Every key's policy, in memory, looked up by the hash of its secret; fed by key events. */
export class KeyTable {
  readonly #byHash = new Map<string, KeyPolicy>();
  readonly #byId = new Map<string, KeyPolicy>();

  byHash(hash: string): KeyPolicy | undefined {
    return this.#byHash.get(hash);
  }

  apply(event: SluiceEvent): void {
    switch (event.type) {
      case 'KeyCreated': {
        const d = event.data;
        const policy: KeyPolicy = {
          keyId: d.keyId,
          status: 'active',
          allowsModel: compileAllowList(d.models),
          operations: d.operations ? new Set(d.operations) : null,
          expiresAt: d.expiresAt ? Date.parse(d.expiresAt) : null,
        };
        this.#byHash.set(d.keyHash, policy);
        this.#byId.set(d.keyId, policy);
        return;
      }
      case 'KeyRevoked': {
        const policy = this.#byId.get(event.data.keyId);
        if (policy) policy.status = 'revoked';
        return;
      }
      default:
        return;
    }
  }
}
