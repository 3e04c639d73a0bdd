import type { Actor } from '@sluice/contracts';
import type { Deps } from '../../shared/deps';
import { runAdminTokenCommand } from '../admin-token';
import { decideRevokeAdminToken } from './revoke-admin-token';

export async function revokeAdminToken(
  deps: Deps,
  payload: { tokenId: string; actor: Actor },
): Promise<{ tokenId: string }> {
  await runAdminTokenCommand(deps, payload.tokenId, payload.actor, (state, now) =>
    decideRevokeAdminToken({ type: 'RevokeAdminToken', tokenId: payload.tokenId, now }, state),
  );
  return { tokenId: payload.tokenId };
}
