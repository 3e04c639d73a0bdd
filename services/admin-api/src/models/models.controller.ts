import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, UseGuards } from '@nestjs/common';
import type { Kysely, Selectable } from 'kysely';
import { CreateModelBody, DomainError, ErrorCodes, parseOrThrow, type Actor, type ModelView } from '@sluice/contracts';
import type { Database, ModelsViewTable } from '@sluice/db';
import { AdminTokenGuard } from '../auth/admin-token.guard';
import { CurrentActor } from '../shared/actor';
import { ConfirmedCommands } from '../changes/confirmed-commands';
import { PolicyWrite } from '../changes/policy-confirmation';
import { DB } from '../shared/tokens';

/** The model catalog: what clients may send as `model`, where it routes and what it costs. */
@Controller('admin/v1/models')
@UseGuards(AdminTokenGuard)
export class ModelsController {
  constructor(
    @Inject(DB) private readonly db: Kysely<Database>,
    @Inject(ConfirmedCommands) private readonly commands: ConfirmedCommands,
  ) {}

  @Post()
  @HttpCode(201)
  async create(@Body() body: unknown, @CurrentActor() actor: Actor, @PolicyWrite() write: PolicyWrite) {
    const valid = parseOrThrow(CreateModelBody, body);
    const { name } = await this.commands.send<{ name: string }>(
      'add-model',
      { body: valid, actor },
      write,
      (r) => `model-${r.name}`,
    );
    return this.get(name);
  }

  @Get()
  async list() {
    const rows = await this.db.selectFrom('models_view').selectAll().orderBy('name').execute();
    return { data: rows.map(toView) };
  }

  @Get(':name')
  async get(@Param('name') name: string) {
    const row = await this.db.selectFrom('models_view').selectAll().where('name', '=', name).executeTakeFirst();
    if (!row) throw new DomainError(ErrorCodes.modelNotFound, `model ${name} does not exist`);
    return toView(row);
  }

  @Delete(':name')
  @HttpCode(204)
  async remove(@Param('name') name: string, @CurrentActor() actor: Actor, @PolicyWrite() write: PolicyWrite) {
    await this.commands.send('remove-model', { name, actor }, write, `model-${name}`);
  }
}

function toView(row: Selectable<ModelsViewTable>): ModelView {
  return {
    name: row.name,
    providerId: row.provider_id,
    upstreamModel: row.upstream_model,
    inputUsdPerMTok: row.input_usd_per_mtok,
    outputUsdPerMTok: row.output_usd_per_mtok,
    cachedInputUsdPerMTok: row.cached_input_usd_per_mtok,
    cacheWriteUsdPerMTok: row.cache_write_usd_per_mtok,
    maxOutputTokens: row.max_output_tokens,
    createdAt: new Date(row.created_at).toISOString(),
  };
}
