import { Controller, Get, Inject, Req, UseGuards } from '@nestjs/common';
import type { Kysely } from 'kysely';
import type { AdminRole } from '@sluice/contracts';
import type { Database } from '@sluice/db';
import { AdminTokenGuard } from '../auth/admin-token.guard';
import type { AdminRequest } from '../shared/actor';
import { DB } from '../shared/tokens';

const TOKEN_ACTOR = 'admin-token:';

/** Who the caller is: what the console shows after sign-in, and how it adapts to the role. */
@Controller('admin/v1/whoami')
@UseGuards(AdminTokenGuard)
export class WhoamiController {
  constructor(@Inject(DB) private readonly db: Kysely<Database>) {}

  @Get()
  async whoami(
    @Req() req: AdminRequest,
  ): Promise<{ actor: string; role: AdminRole; tokenId: string | null; name: string | null }> {
    const actor = req.actor!;
    const tokenId = actor.startsWith(TOKEN_ACTOR) ? actor.slice(TOKEN_ACTOR.length) : null;
    const row = tokenId
      ? await this.db.selectFrom('admin_tokens_view').select('name').where('id', '=', tokenId).executeTakeFirst()
      : undefined;
    return { actor, role: req.role!, tokenId, name: row?.name ?? null };
  }
}
