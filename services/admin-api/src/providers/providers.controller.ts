import { Body, Controller, Get, HttpCode, Inject, Param, Post, UseGuards } from '@nestjs/common';
import type { Kysely, Selectable } from 'kysely';
import { CreateProviderBody, DomainError, ErrorCodes, parseOrThrow, Subjects, type Actor, type ProviderView } from '@sluice/contracts';
import type { Database, ProvidersViewTable } from '@sluice/db';
import { request, type NatsConnection } from '@sluice/messaging';
import { AdminTokenGuard } from '../auth/admin-token.guard';
import { CurrentActor } from '../shared/actor';
import { DB, NATS } from '../shared/tokens';

const columns = ['id', 'name', 'type', 'base_url', 'api_key_hint', 'created_at'] as const;

/** Provider credentials. No response ever contains the secret, only its hint. */
@Controller('admin/v1/providers')
@UseGuards(AdminTokenGuard)
export class ProvidersController {
  constructor(
    @Inject(DB) private readonly db: Kysely<Database>,
    @Inject(NATS) private readonly nc: NatsConnection,
  ) {}

  @Post()
  @HttpCode(201)
  async create(@Body() body: unknown, @CurrentActor() actor: Actor) {
    const valid = parseOrThrow(CreateProviderBody, body);
    const { providerId } = await request<{ providerId: string }>(this.nc, Subjects.rpc.keyRegistry('add-provider'), { body: valid, actor }, { trace: actor });
    return this.get(providerId);
  }

  @Get()
  async list() {
    const rows = await this.db.selectFrom('providers_view').select(columns).where('removed_at', 'is', null).orderBy('created_at').execute();
    return { data: rows.map(toView) };
  }

  @Get(':id')
  async get(@Param('id') id: string) {
    const row = await this.db.selectFrom('providers_view').select(columns).where('id', '=', id).where('removed_at', 'is', null).executeTakeFirst();
    if (!row) throw new DomainError(ErrorCodes.providerNotFound, `provider ${id} does not exist`);
    return toView(row);
  }
}

function toView(row: Pick<Selectable<ProvidersViewTable>, (typeof columns)[number]>): ProviderView {
  return { id: row.id, name: row.name, type: row.type, baseUrl: row.base_url, apiKeyHint: row.api_key_hint, createdAt: new Date(row.created_at).toISOString() };
}
