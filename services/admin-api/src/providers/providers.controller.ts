import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, UseGuards } from '@nestjs/common';
import type { Kysely, Selectable } from 'kysely';
import {
  CreateProviderBody,
  DomainError,
  ErrorCodes,
  parseOrThrow,
  RotateProviderBody,
  UpdateProviderBody,
  type Actor,
  servesResponses,
  type ProviderView,
} from '@sluice/contracts';
import type { Database, ProvidersViewTable } from '@sluice/db';
import { AdminTokenGuard } from '../auth/admin-token.guard';
import { RestrictFields } from '../auth/roles';
import { CurrentActor } from '../shared/actor';
import { ConfirmedCommands } from '../changes/confirmed-commands';
import { PolicyWrite } from '../changes/policy-confirmation';
import { DB } from '../shared/tokens';

const columns = ['id', 'name', 'type', 'base_url', 'api_key_hint', 'supports_responses', 'created_at'] as const;

/** Provider credentials. No response ever contains the secret, only its hint. */
@Controller('admin/v1/providers')
@UseGuards(AdminTokenGuard)
export class ProvidersController {
  constructor(
    @Inject(DB) private readonly db: Kysely<Database>,
    @Inject(ConfirmedCommands) private readonly commands: ConfirmedCommands,
  ) {}

  @Post()
  @HttpCode(201)
  async create(@Body() body: unknown, @CurrentActor() actor: Actor, @PolicyWrite() write: PolicyWrite) {
    const valid = parseOrThrow(CreateProviderBody, body);
    const { providerId } = await this.commands.send<{ providerId: string }>(
      'add-provider',
      { body: valid, actor },
      write,
      (r) => `provider-${r.providerId}`,
    );
    return this.get(providerId);
  }

  @Get()
  async list() {
    const rows = await this.db
      .selectFrom('providers_view')
      .select(columns)
      .where('removed_at', 'is', null)
      .orderBy('created_at')
      .execute();
    return { data: rows.map(toView) };
  }

  @Get(':id')
  async get(@Param('id') id: string) {
    const row = await this.db
      .selectFrom('providers_view')
      .select(columns)
      .where('id', '=', id)
      .where('removed_at', 'is', null)
      .executeTakeFirst();
    if (!row) throw new DomainError(ErrorCodes.providerNotFound, `provider ${id} does not exist`);
    return toView(row);
  }

  /**
   * Name, baseUrl and/or supportsResponses (openai-compatible); a new baseUrl is checked like one given at creation,
   * and is for owners only (it would send the stored secret to another host).
   */
  @Patch(':id')
  @RestrictFields({ baseUrl: ['owner'] })
  async update(
    @Param('id') id: string,
    @Body() body: unknown,
    @CurrentActor() actor: Actor,
    @PolicyWrite() write: PolicyWrite,
  ) {
    const valid = parseOrThrow(UpdateProviderBody, body);
    await this.commands.send('update-provider', { providerId: id, body: valid, actor }, write, `provider-${id}`);
    return this.get(id);
  }

  /** Refused with PROVIDER.IN_USE while a catalog model routes to it; its secrets are destroyed. */
  @Delete(':id')
  @HttpCode(204)
  async remove(@Param('id') id: string, @CurrentActor() actor: Actor, @PolicyWrite() write: PolicyWrite) {
    await this.commands.send('remove-provider', { providerId: id, actor }, write, `provider-${id}`);
  }

  /**
   * A new secret; virtual keys are not touched. Answered once policy routes with the new secret
   * version, so every gateway uses the new secret from the next call on (one that still holds the
   * old one refreshes before calling the upstream).
   */
  @Post(':id/rotate')
  @HttpCode(200)
  async rotate(
    @Param('id') id: string,
    @Body() body: unknown,
    @CurrentActor() actor: Actor,
    @PolicyWrite() write: PolicyWrite,
  ) {
    const valid = parseOrThrow(RotateProviderBody, body);
    await this.commands.send('rotate-provider', { providerId: id, body: valid, actor }, write, `provider-${id}`);
    return this.get(id);
  }
}

function toView(row: Pick<Selectable<ProvidersViewTable>, (typeof columns)[number]>): ProviderView {
  return {
    id: row.id,
    name: row.name,
    type: row.type,
    baseUrl: row.base_url,
    apiKeyHint: row.api_key_hint,
    supportsResponses: servesResponses(row.type, row.supports_responses),
    createdAt: new Date(row.created_at).toISOString(),
  };
}
