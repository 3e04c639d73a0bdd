import {
  Body,
  Controller,
  Delete,
  Get,
  Headers,
  HttpCode,
  Inject,
  Param,
  Patch,
  Post,
  Query,
  Res,
  UseGuards,
} from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { Kysely } from 'kysely';
import {
  CreateKeyBody,
  DomainError,
  ErrorCodes,
  IdempotencyKey,
  ListKeysQuery,
  parseOrThrow,
  RegenerateKeyBody,
  UpdateKeyBody,
  type Actor,
} from '@sluice/contracts';
import type { Database } from '@sluice/db';
import type { NatsConnection } from '@sluice/messaging';
import { AdminTokenGuard } from '../auth/admin-token.guard';
import { CurrentActor } from '../shared/actor';
import { ConfirmedCommands } from '../changes/confirmed-commands';
import { PolicyWrite } from '../changes/policy-confirmation';
import { DB, NATS } from '../shared/tokens';
import { getKey, listKeys } from './key-queries';
import { withLiveLimits } from './limits/policy-limits';

/** Commands go to key-registry over NATS; reads come from the Postgres read models. */
@Controller('admin/v1/keys')
@UseGuards(AdminTokenGuard)
export class KeysController {
  constructor(
    @Inject(DB) private readonly db: Kysely<Database>,
    @Inject(NATS) private readonly nc: NatsConnection,
    @Inject(ConfirmedCommands) private readonly commands: ConfirmedCommands,
  ) {}

  @Post()
  @HttpCode(201)
  async create(@Body() body: unknown, @CurrentActor() actor: Actor, @PolicyWrite() write: PolicyWrite) {
    const valid = parseOrThrow(CreateKeyBody, body);
    const created = await this.commands.send<{ keyId: string; key: string }>(
      'create-key',
      { body: valid, actor },
      write,
      (r) => `key-${r.keyId}`,
    );
    return { ...(await this.#read(created.keyId)), key: created.key };
  }

  @Get()
  async list(@Query() query: unknown) {
    const page = await listKeys(this.db, parseOrThrow(ListKeysQuery, query), new Date());
    return { ...page, data: await withLiveLimits(this.nc, page.data) };
  }

  @Get(':id')
  get(@Param('id') id: string) {
    return this.#read(id);
  }

  @Patch(':id')
  async update(
    @Param('id') id: string,
    @Body() body: unknown,
    @CurrentActor() actor: Actor,
    @PolicyWrite() write: PolicyWrite,
  ) {
    const valid = parseOrThrow(UpdateKeyBody, body);
    await this.commands.send('update-key', { keyId: id, body: valid, actor }, write, `key-${id}`);
    return this.#read(id);
  }

  /** The new secret is in `key`; a retry with the same Idempotency-Key answers the same secret again. */
  @Post(':id/regenerate')
  @HttpCode(200)
  async regenerate(
    @Param('id') id: string,
    @Body() body: unknown,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @CurrentActor() actor: Actor,
    @Res({ passthrough: true }) reply: FastifyReply,
    @PolicyWrite() write: PolicyWrite,
  ) {
    const valid = parseOrThrow(RegenerateKeyBody, body ?? {});
    if (idempotencyKey !== undefined && !IdempotencyKey.safeParse(idempotencyKey).success) {
      throw new DomainError(ErrorCodes.validation, 'Idempotency-Key must be 1 to 255 printable ASCII characters', {
        param: 'Idempotency-Key',
      });
    }
    const result = await this.commands.send<{ key: string; replayed: boolean }>(
      'regenerate-key',
      { keyId: id, body: valid, idempotencyKey, actor },
      write,
      `key-${id}`,
    );
    if (result.replayed) void reply.header('idempotent-replayed', 'true');
    return { ...(await this.#read(id)), key: result.key };
  }

  @Post(':id/disable')
  @HttpCode(200)
  disable(@Param('id') id: string, @CurrentActor() actor: Actor, @PolicyWrite() write: PolicyWrite) {
    return this.#command('disable-key', id, actor, write);
  }

  @Post(':id/enable')
  @HttpCode(200)
  enable(@Param('id') id: string, @CurrentActor() actor: Actor, @PolicyWrite() write: PolicyWrite) {
    return this.#command('enable-key', id, actor, write);
  }

  @Delete(':id')
  revoke(@Param('id') id: string, @CurrentActor() actor: Actor, @PolicyWrite() write: PolicyWrite) {
    return this.#command('revoke-key', id, actor, write);
  }

  async #command(endpoint: string, id: string, actor: Actor, write: PolicyWrite) {
    await this.commands.send(endpoint, { keyId: id, actor }, write, `key-${id}`);
    return this.#read(id);
  }

  /** The key from the read model, with policy's live limit state when policy answers. */
  async #read(id: string) {
    const [view] = await withLiveLimits(this.nc, [await getKey(this.db, id, new Date())]);
    return view;
  }
}
