import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, UseGuards } from '@nestjs/common';
import type { Kysely, Selectable } from 'kysely';
import {
  CreateAdminTokenBody,
  DomainError,
  ErrorCodes,
  parseOrThrow,
  Subjects,
  type Actor,
  type AdminRole,
  type AdminTokenView,
} from '@sluice/contracts';
import type { AdminTokensViewTable, Database } from '@sluice/db';
import { request, type NatsConnection } from '@sluice/messaging';
import { AdminTokenGuard } from '../auth/admin-token.guard';
import { Roles } from '../auth/roles';
import { CurrentActor } from '../shared/actor';
import { DB, NATS } from '../shared/tokens';

const columns = ['id', 'name', 'role', 'token_hint', 'created_at', 'revoked_at'] as const;

/** Who may administer. Owners only; auditors may read the list (it holds no secret). */
@Controller('admin/v1/admin-tokens')
@UseGuards(AdminTokenGuard)
@Roles('owner')
export class AdminTokensController {
  constructor(
    @Inject(DB) private readonly db: Kysely<Database>,
    @Inject(NATS) private readonly nc: NatsConnection,
  ) {}

  /** The token is in `token`, shown this once; only its hash is kept. */
  @Post()
  @HttpCode(201)
  async create(@Body() body: unknown, @CurrentActor() actor: Actor) {
    const valid = parseOrThrow(CreateAdminTokenBody, body);
    const created = await request<{ tokenId: string; token: string }>(
      this.nc,
      Subjects.rpc.keyRegistry('create-admin-token'),
      { body: valid, actor },
      { trace: actor },
    );
    return { ...(await this.get(created.tokenId)), token: created.token };
  }

  @Get()
  @Roles('owner', 'auditor')
  async list() {
    const rows = await this.db
      .selectFrom('admin_tokens_view')
      .select(columns)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return { data: rows.map(toView) };
  }

  @Get(':id')
  @Roles('owner', 'auditor')
  async get(@Param('id') id: string) {
    const row = await this.db.selectFrom('admin_tokens_view').select(columns).where('id', '=', id).executeTakeFirst();
    if (!row) throw new DomainError(ErrorCodes.adminTokenNotFound, `admin token ${id} does not exist`);
    return toView(row);
  }

  /** Refused on its next call; the history stays and the name can be given to a new token. */
  @Delete(':id')
  async revoke(@Param('id') id: string, @CurrentActor() actor: Actor) {
    await request(this.nc, Subjects.rpc.keyRegistry('revoke-admin-token'), { tokenId: id, actor }, { trace: actor });
    return this.get(id);
  }
}

function toView(row: Pick<Selectable<AdminTokensViewTable>, (typeof columns)[number]>): AdminTokenView {
  return {
    id: row.id,
    name: row.name,
    role: row.role as AdminRole,
    tokenHint: row.token_hint,
    createdAt: new Date(row.created_at).toISOString(),
    revokedAt: row.revoked_at ? new Date(row.revoked_at).toISOString() : null,
  };
}
