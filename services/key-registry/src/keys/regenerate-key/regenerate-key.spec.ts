import { ErrorCodes, given, iso, keyCreated, keyDisabled, keyRegenerated, keyRevoked, NOW } from '../../../test/given';
import type { KeyState } from '../key';
import { decideRegenerateKey } from './regenerate-key';

const regenerate = (gracePeriodSeconds?: number) => (state: KeyState) =>
  decideRegenerateKey(
    {
      type: 'RegenerateKey',
      keyId: 'key_1',
      keyHash: 'hash-new',
      keyHint: 'sk-sluice-NNNN…nnnn',
      gracePeriodSeconds,
      now: NOW,
    },
    state,
  );
const regenerated = (previousKeyHash: string, previousKeyExpiresAt: string | null) => [
  {
    type: 'KeyRegenerated' as const,
    data: {
      keyId: 'key_1',
      keyHash: 'hash-new',
      keyHint: 'sk-sluice-NNNN…nnnn',
      previousKeyHash,
      previousKeyExpiresAt,
      regeneratedAt: NOW.toISOString(),
    },
  },
];

describe('regenerate a key', () => {
  it('replaces the secret and keeps the previous one for the grace period', () => {
    given(keyCreated())
      .when(regenerate(300))
      .then(regenerated('hash-1', iso(NOW.getTime() + 300_000)));
  });

  it('stops the previous secret at once without a grace period', () => {
    given(keyCreated()).when(regenerate()).then(regenerated('hash-1', null));
    given(keyCreated()).when(regenerate(0)).then(regenerated('hash-1', null));
  });

  it('retires the secret of the last regeneration, not the first one', () => {
    given(keyCreated(), keyRegenerated({ keyHash: 'hash-2' }))
      .when(regenerate())
      .then(regenerated('hash-2', null));
  });

  it('regenerates a disabled key (disable, regenerate, enable after a leak)', () => {
    given(keyCreated(), keyDisabled)
      .when(regenerate(60))
      .then(regenerated('hash-1', iso(NOW.getTime() + 60_000)));
  });

  it('refuses a revoked key and a key that does not exist', () => {
    given(keyCreated(), keyRevoked).when(regenerate()).thenThrows(ErrorCodes.keyNotActive);
    given().when(regenerate()).thenThrows(ErrorCodes.keyNotFound);
  });
});
