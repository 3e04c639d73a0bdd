import { Controller, Get, Inject, Param, Query, UseGuards } from '@nestjs/common';
import { sql, type Kysely } from 'kysely';
import { DomainError, ErrorCodes, parseOrThrow, policyWaitQuery, type ChangeStatus } from '@sluice/contracts';
import type { Database } from '@sluice/db';
import type { NatsConnection } from '@sluice/messaging';
import { AdminTokenGuard } from '../auth/admin-token.guard';
import { DB, NATS } from '../shared/tokens';
import { changeIdOf, parseChangeId, waitForPolicy } from './policy-confirmation';

const statusWait = policyWaitQuery(0);

/** Whether a recorded admin change is in force: what a write answered 202 for can be waited on here. */
@Controller('admin/v1/changes')
@UseGuards(AdminTokenGuard)
export class ChangesController {
  constructor(
    @Inject(DB) private readonly db: Kysely<Database>,
    @Inject(NATS) private readonly nc: NatsConnection,
  ) {}

  @Get(':change')
  async status(
    @Param('change') id: string,
    @Query() query: unknown,
  ): Promise<{ change: string; streamId: string; version: number; status: ChangeStatus }> {
    const change = parseChangeId(id);
    if (!change)
      throw new DomainError(
        ErrorCodes.validation,
        'change: expected <stream>@<version>, as answered in x-sluice-change',
        { param: 'change' },
      );
    const { wait } = parseOrThrow(statusWait, query);
    const { rows } =
      await sql`select 1 from events where stream_id = ${change.streamId} and stream_version = ${change.version}`.execute(
        this.db,
      );
    if (rows.length === 0) throw new DomainError(ErrorCodes.notFound, `change ${id} was not recorded`);
    const applied = await waitForPolicy(this.nc, change, wait * 1000);
    return { change: changeIdOf(change), ...change, status: applied ? 'applied' : 'pending' };
  }
}
