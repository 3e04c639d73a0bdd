import { Controller, Get, Inject, Param, Query, UseGuards } from '@nestjs/common';
import type { Kysely } from 'kysely';
import { KeyUsageQuery, parseOrThrow, UsageQuery } from '@sluice/contracts';
import type { Database } from '@sluice/db';
import { AdminTokenGuard } from '../auth/admin-token.guard';
import { DB } from '../shared/tokens';
import { keyUsage, usageOverview } from './usage-queries';
import { resolveRange } from './usage-range';

/** Spend, requests and tokens over time, summed from the usage records in Postgres. */
@Controller('admin/v1')
@UseGuards(AdminTokenGuard)
export class UsageController {
  constructor(@Inject(DB) private readonly db: Kysely<Database>) {}

  @Get('keys/:id/usage')
  forKey(@Param('id') id: string, @Query() query: unknown) {
    return keyUsage(this.db, id, resolveRange(parseOrThrow(KeyUsageQuery, query), new Date()));
  }

  @Get('usage')
  overview(@Query() query: unknown) {
    const q = parseOrThrow(UsageQuery, query);
    return usageOverview(this.db, resolveRange(q, new Date()), q.groupBy, q.limit);
  }
}
