import type { Logger } from '@sluice/service';
import type { CountTokensRoute } from '../dialects/anthropic/count-tokens-route';
import type { MessagesDialect } from '../dialects/anthropic/messages-dialect';
import type { AnthropicModelsRoute } from '../dialects/anthropic/models-route';
import type { OpenAiDialect } from '../dialects/openai/openai-dialect';
import type { ModelsRoute } from '../dialects/openai/models-route';
import type { ResponsesDialect } from '../dialects/responses/responses-dialect';
import type { ResponseResources } from '../dialects/responses/responses-resources';
import type { CallPipeline } from '../pipeline/call-pipeline';
import type { ClientIpOf } from './client-ip';
import type { CallReply, CallRequest } from '../pipeline/exchange';
import type { KeyCheck } from './key-check';

/** What the gateway's HTTP surface is made of. */
export interface IngressRoutes {
  pipeline: CallPipeline;
  openai: OpenAiDialect;
  models: ModelsRoute;
  keyCheck: KeyCheck;
  messages: MessagesDialect;
  countTokens: CountTokensRoute;
  anthropicModels: AnthropicModelsRoute;
  responses: ResponsesDialect;
  responseResources: ResponseResources;
  clientIp: ClientIpOf;
  bodyLimit: number;
  /** The longest a request body may stop arriving. */
  bodyIdleMs: number;
  logger: Logger;
}

export type CallHandler = (req: CallRequest, reply: CallReply) => Promise<void>;

/** Every dialect's inference endpoint (a POST) over the one call pipeline, by path. */
export function inferencePaths(routes: IngressRoutes): Map<string, CallHandler> {
  const { pipeline, openai, messages, responses } = routes;
  return new Map<string, CallHandler>([
    ['/v1/chat/completions', (req, reply) => pipeline.handle(openai, 'chat', req, reply)],
    ['/v1/completions', (req, reply) => pipeline.handle(openai, 'completions', req, reply)],
    ['/v1/embeddings', (req, reply) => pipeline.handle(openai, 'embeddings', req, reply)],
    ['/v1/messages', (req, reply) => pipeline.handle(messages, 'messages', req, reply)],
    ['/v1/responses', (req, reply) => pipeline.handle(responses, 'responses', req, reply)],
  ]);
}
