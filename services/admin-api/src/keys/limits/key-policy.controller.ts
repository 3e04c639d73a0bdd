import { Body, Controller, Get, HttpCode, Inject, Param, Post, UseGuards } from '@nestjs/common';
import type { Kysely } from 'kysely';
import {
  parseOrThrow,
  SimulateKeyBody,
  Subjects,
  type Actor,
  type EffectivePolicyReply,
  type SimulateReply,
} from '@sluice/contracts';
import type { Database } from '@sluice/db';
import type { NatsConnection } from '@sluice/messaging';
import { ALL_ROLES } from '../../auth/access-policy';
import { AdminTokenGuard } from '../../auth/admin-token.guard';
import { Roles } from '../../auth/roles';
import { CurrentActor } from '../../shared/actor';
import { DB, NATS } from '../../shared/tokens';
import { assertKeyExists } from '../key-queries';
import { askPolicy } from './policy-limits';
import { toSimulateRequest } from './simulate-request';

/**
 * Why a key's calls are allowed or refused, answered by policy (the one process that enforces
 * it), never recomputed here. An unknown key is a 404 from the read model before policy is asked.
 */
@Controller('admin/v1/keys')
@UseGuards(AdminTokenGuard)
export class KeyPolicyController {
  constructor(
    @Inject(DB) private readonly db: Kysely<Database>,
    @Inject(NATS) private readonly nc: NatsConnection,
  ) {}

  @Get(':id/effective-policy')
  async effectivePolicy(@Param('id') id: string, @CurrentActor() actor: Actor): Promise<EffectivePolicyReply> {
    await assertKeyExists(this.db, id);
    return askPolicy<EffectivePolicyReply>(this.nc, Subjects.rpc.policyExplain, { keyId: id }, actor);
  }

  /** A dry run: nothing is counted or reserved, so every role, auditors included, may ask. */
  @Post(':id/simulate')
  @HttpCode(200)
  @Roles(...ALL_ROLES)
  async simulate(@Param('id') id: string, @Body() body: unknown, @CurrentActor() actor: Actor): Promise<SimulateReply> {
    const valid = parseOrThrow(SimulateKeyBody, body ?? {});
    await assertKeyExists(this.db, id);
    return askPolicy<SimulateReply>(this.nc, Subjects.rpc.policySimulate, toSimulateRequest(id, valid), actor);
  }
}
