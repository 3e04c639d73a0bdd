import { liveKey, type KeyEvent, type KeyState } from '../key';

export interface RegenerateKey {
  type: 'RegenerateKey';
  keyId: string;
  keyHash: string;
  keyHint: string;
  /** How long the previous secret keeps working; absent or 0 stops it at once. */
  gracePeriodSeconds?: number;
  now: Date;
}

/**
 * A new secret for the same key and settings, active or disabled alike (a leaked key can be
 * disabled, regenerated, then enabled). The previous secret works until `previousKeyExpiresAt`.
 */
export function decideRegenerateKey(command: RegenerateKey, state: KeyState): KeyEvent[] {
  const key = liveKey(state, command.keyId);
  const grace = command.gracePeriodSeconds ?? 0;
  return [
    {
      type: 'KeyRegenerated',
      data: {
        keyId: command.keyId,
        keyHash: command.keyHash,
        keyHint: command.keyHint,
        previousKeyHash: key.keyHash,
        previousKeyExpiresAt: grace > 0 ? new Date(command.now.getTime() + grace * 1000).toISOString() : null,
        regeneratedAt: command.now.toISOString(),
      },
    },
  ];
}
