import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Query, UseGuards } from '@nestjs/common';
import type { Kysely } from 'kysely';
import { CreateKeyBody, ListKeysQuery, parseOrThrow, Subjects, type Actor } from '@sluice/contracts';
import type { Database } from '@sluice/db';
import { request, type NatsConnection } from '@sluice/messaging';
import { AdminTokenGuard } from '../auth/admin-token.guard';
import { CurrentActor } from '../shared/actor';
import { DB, NATS } from '../shared/tokens';
import { getKey, listKeys } from './key-queries';

/** Commands go to key-registry over NATS; reads come from the Postgres read models. */
@Controller('admin/v1/keys')
@UseGuards(AdminTokenGuard)
export class KeysController {
  constructor(
    @Inject(DB) private readonly db: Kysely<Database>,
    @Inject(NATS) private readonly nc: NatsConnection,
  ) {}

  @Post()
  @HttpCode(201)
  async create(@Body() body: unknown, @CurrentActor() actor: Actor) {
    const valid = parseOrThrow(CreateKeyBody, body);
    const created = await request<{ keyId: string; key: string }>(this.nc, Subjects.rpc.keyRegistry('create-key'), { body: valid, actor }, { trace: actor });
    return { ...(await getKey(this.db, created.keyId, new Date())), key: created.key };
  }

  @Get()
  list(@Query() query: unknown) {
    return listKeys(this.db, parseOrThrow(ListKeysQuery, query), new Date());
  }

  @Get(':id')
  get(@Param('id') id: string) {
    return getKey(this.db, id, new Date());
  }

  @Delete(':id')
  async revoke(@Param('id') id: string, @CurrentActor() actor: Actor) {
    await request(this.nc, Subjects.rpc.keyRegistry('revoke-key'), { keyId: id, actor }, { trace: actor });
    return getKey(this.db, id, new Date());
  }
}
