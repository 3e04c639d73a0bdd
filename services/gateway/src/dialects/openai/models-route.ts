import type { FastifyReply, FastifyRequest } from 'fastify';
import { hashVirtualKey, type ListModelsReply, type OpenAiError } from '@sluice/contracts';
import type { Authorizer } from '../../authorize/authorizer';
import { sendError } from './send-error';

export type AllowedModels = Extract<ListModelsReply, { allow: true }>;

const toModel = (m: AllowedModels['models'][number]) => ({
  id: m.id,
  object: 'model' as const,
  created: m.created,
  owned_by: m.ownedBy,
});

/** GET /v1/models (the models this key may use) and GET /v1/models/:model, answered by policy. */
export class ModelsRoute {
  constructor(private readonly authorizer: Authorizer) {}

  async list(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const allowed = await this.allowed(req, reply);
    if (allowed) this.send(reply, req.sluice.requestId, { object: 'list', data: allowed.models.map(toModel) });
  }

  async retrieve(req: FastifyRequest<{ Params: { model: string } }>, reply: FastifyReply): Promise<void> {
    const allowed = await this.allowed(req, reply);
    if (!allowed) return;
    const id = req.params.model;
    const model = allowed.models.find((m) => m.id === id);
    if (model) return this.send(reply, req.sluice.requestId, toModel(model));
    sendError(reply, req.sluice.requestId, {
      status: 404,
      type: 'invalid_request_error',
      code: 'model_not_found',
      param: 'model',
      message: `The model \`${id.slice(0, 256)}\` does not exist or you do not have access to it.`,
    });
  }

  private allowed(req: FastifyRequest, reply: FastifyReply): Promise<AllowedModels | null> {
    return allowedModels(this.authorizer, req, reply, sendError);
  }

  private send(reply: FastifyReply, requestId: string, body: unknown): void {
    reply
      .code(200)
      .header('content-type', 'application/json')
      .header('x-request-id', requestId)
      .send(JSON.stringify(body));
  }
}

/** The models this key may use, as policy answers; null once the refusal was sent in the caller's dialect. */
export async function allowedModels(
  authorizer: Authorizer,
  req: FastifyRequest,
  reply: FastifyReply,
  refuse: (reply: FastifyReply, requestId: string, error: OpenAiError) => void,
): Promise<AllowedModels | null> {
  const ctx = req.sluice;
  const decision = await authorizer.listModels({
    keyHash: hashVirtualKey(ctx.key),
    clientIp: ctx.clientIp,
    requestId: ctx.requestId,
  });
  if (decision.allow) return decision;
  refuse(reply, ctx.requestId, decision.error);
  return null;
}
