import { Controller, Get, Inject, Query, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { Kysely } from 'kysely';
import { AuditEventsQuery, AuditExportQuery, type AuditVerifyResult, parseOrThrow } from '@sluice/contracts';
import type { Database } from '@sluice/db';
import { verifyChain } from '@sluice/event-store';
import { AdminTokenGuard } from '../auth/admin-token.guard';
import { Roles } from '../auth/roles';
import { DB } from '../shared/tokens';
import { exportStream } from './audit-export';
import { listAuditEvents } from './audit-queries';

/** The event log as the audit trail: read, export and verify its hash chain (docs/audit.md). */
@Controller('admin/v1/audit')
@UseGuards(AdminTokenGuard)
export class AuditController {
  constructor(@Inject(DB) private readonly db: Kysely<Database>) {}

  @Get('events')
  events(@Query() query: unknown) {
    return listAuditEvents(this.db, parseOrThrow(AuditEventsQuery, query));
  }

  @Get('export')
  export(@Query() query: unknown, @Res() reply: FastifyReply) {
    const { format, ...filter } = parseOrThrow(AuditExportQuery, query);
    const contentType = format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson';
    return reply
      .header('content-type', contentType)
      .header('content-disposition', `attachment; filename="sluice-audit.${format}"`)
      .send(exportStream(this.db, filter, format));
  }

  @Get('verify')
  @Roles('owner', 'auditor')
  verify(): Promise<AuditVerifyResult> {
    return verifyChain(this.db);
  }
}
