import { Controller, Get, Inject, Query, UseGuards } from '@nestjs/common';
import type { Kysely } from 'kysely';
import { parseOrThrow, RequestLogQuery } from '@sluice/contracts';
import type { Database } from '@sluice/db';
import { AdminTokenGuard } from '../auth/admin-token.guard';
import { DB } from '../shared/tokens';
import { requestLog } from './request-log';

/** The request log: one usage record per served call, read from Postgres. */
@Controller('admin/v1/requests')
@UseGuards(AdminTokenGuard)
export class RequestsController {
  constructor(@Inject(DB) private readonly db: Kysely<Database>) {}

  @Get()
  list(@Query() query: unknown) {
    return requestLog(this.db, parseOrThrow(RequestLogQuery, query));
  }
}
