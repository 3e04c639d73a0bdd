import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Authorizer } from '../../authorize/authorizer';
import { allowedModels, type AllowedModels } from '../openai/models-route';
import { sendAnthropicError } from './anthropic-errors';
import { invalidMessages } from './messages-request';
import { speaksAnthropic as speaksAnthropicBy } from '../../edge/error-shape';

type Model = AllowedModels['models'][number];
type Query = { limit?: string; after_id?: string; before_id?: string };

const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 1000;

/**
 * Whether a caller speaks Anthropic's API: it sends `anthropic-version`, or its key as `x-api-key` without an
 * Authorization header.
 */
/** Whether /v1/models answers in Anthropic's format (edge/error-shape.ts has the rule). */
export const speaksAnthropic = (headers: IncomingHttpHeaders): boolean =>
  speaksAnthropicBy((h) => headers[h] !== undefined);

const toModel = (m: Model) => ({
  type: 'model',
  id: m.id,
  display_name: m.id,
  created_at: new Date(m.created * 1000).toISOString().replace('.000Z', 'Z'),
});

/**
 * `GET /v1/models` and `GET /v1/models/:model` in Anthropic's format, for Anthropic callers (Claude
 * Code's gateway model discovery, the SDK's `models.list()`): only the models this key may use,
 * newest first, paged with `limit`, `after_id` and `before_id`.
 */
export class AnthropicModelsRoute {
  constructor(private readonly authorizer: Authorizer) {}

  async list(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const { limit: rawLimit, after_id: after, before_id: before } = (req.query ?? {}) as Query;
    const limit = rawLimit === undefined ? DEFAULT_LIMIT : Number(rawLimit);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT)
      return sendAnthropicError(
        reply,
        req.sluice.requestId,
        invalidMessages(`limit: Input should be an integer from 1 to ${MAX_LIMIT}`, 'limit'),
      );
    const allowed = await this.allowed(req, reply);
    if (!allowed) return;
    const models = [...allowed.models].sort((a, b) => b.created - a.created || a.id.localeCompare(b.id));
    let from = 0;
    let to = models.length;
    if (after !== undefined) from = models.findIndex((m) => m.id === after) + 1;
    if (before !== undefined)
      to = Math.max(
        0,
        models.findIndex((m) => m.id === before),
      );
    // Paging backwards (before_id) takes the page just before the cursor.
    const page =
      before !== undefined && after === undefined
        ? models.slice(Math.max(from, to - limit), to)
        : models.slice(from, Math.min(to, from + limit));
    const hasMore = before !== undefined && after === undefined ? to - limit > from : from + limit < to;
    this.send(reply, req.sluice.requestId, {
      data: page.map(toModel),
      has_more: hasMore,
      first_id: page[0]?.id ?? null,
      last_id: page.at(-1)?.id ?? null,
    });
  }

  async retrieve(req: FastifyRequest<{ Params: { model: string } }>, reply: FastifyReply): Promise<void> {
    const allowed = await this.allowed(req, reply);
    if (!allowed) return;
    const id = req.params.model;
    const model = allowed.models.find((m) => m.id === id);
    if (model) return this.send(reply, req.sluice.requestId, toModel(model));
    sendAnthropicError(reply, req.sluice.requestId, {
      status: 404,
      type: 'invalid_request_error',
      code: 'model_not_found',
      param: 'model',
      message: `model: ${id.slice(0, 256)}`,
    });
  }

  private allowed(req: FastifyRequest, reply: FastifyReply): Promise<AllowedModels | null> {
    return allowedModels(this.authorizer, req, reply, sendAnthropicError);
  }

  private send(reply: FastifyReply, requestId: string, body: unknown): void {
    reply
      .code(200)
      .header('content-type', 'application/json')
      .header('request-id', requestId)
      .header('x-request-id', requestId)
      .send(JSON.stringify(body));
  }
}
