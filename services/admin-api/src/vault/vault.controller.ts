import { Controller, HttpCode, Inject, Post, UseGuards } from '@nestjs/common';
import { Subjects, type Actor } from '@sluice/contracts';
import { request, type NatsConnection } from '@sluice/messaging';
import { AdminTokenGuard } from '../auth/admin-token.guard';
import { Roles } from '../auth/roles';
import { CurrentActor } from '../shared/actor';
import { NATS } from '../shared/tokens';

/** One transaction per vault row: a large vault takes a while, and the run can be repeated. */
const REWRAP_TIMEOUT_MS = 10 * 60_000;

/** The credential vault's maintenance: re-wrapping data keys after a key-encryption-key rotation. */
@Controller('admin/v1/vault')
@UseGuards(AdminTokenGuard)
@Roles('owner')
export class VaultController {
  constructor(@Inject(NATS) private readonly nc: NatsConnection) {}

  /** `{kekVersion, rows, rewrapped, alreadyCurrent, failed: [{providerId, secretVersion, reason}]}` */
  @Post('rewrap')
  @HttpCode(200)
  rewrap(@CurrentActor() actor: Actor) {
    return request(
      this.nc,
      Subjects.rpc.keyRegistry('rewrap-vault'),
      { actor },
      { trace: actor, timeoutMs: REWRAP_TIMEOUT_MS },
    );
  }
}
