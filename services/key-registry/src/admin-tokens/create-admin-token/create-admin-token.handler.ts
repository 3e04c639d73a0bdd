import {
  adminTokenHint,
  CreateAdminTokenBody,
  generateAdminToken,
  hashAdminToken,
  parseOrThrow,
  type Actor,
} from '@sluice/contracts';
import type { Deps } from '../../shared/deps';
import { runAdminTokenCommand } from '../admin-token';
import { decideCreateAdminToken } from './create-admin-token';

/** Creates an admin token; the token is returned once, here, and stored only as its hash. */
export async function createAdminToken(
  deps: Deps,
  payload: { body: unknown; actor: Actor },
): Promise<{ tokenId: string; token: string }> {
  const body = parseOrThrow(CreateAdminTokenBody, payload.body);
  const tokenId = deps.newId('adm');
  const token = generateAdminToken();
  const command = {
    type: 'CreateAdminToken',
    tokenId,
    tokenHash: hashAdminToken(token),
    tokenHint: adminTokenHint(token),
    body,
  } as const;
  await runAdminTokenCommand(deps, tokenId, payload.actor, (state, now) =>
    decideCreateAdminToken({ ...command, now }, state),
  );
  return { tokenId, token };
}
