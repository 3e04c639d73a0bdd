import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import {
  DomainError,
  ErrorCodes,
  Subjects,
  type AuthorizeReply,
  type AuthorizeRequest,
  type ListModelsReply,
  type ListModelsRequest,
  type OpenAiError,
} from '@sluice/contracts';
import { request } from '@sluice/messaging';
import { GatewayErrors } from '../ingress/openai-errors';
import { InFlightCalls } from './in-flight-calls';

export const AUTHORIZE_TIMEOUT_MS = 2000;

/**
 * The one NATS round trip of the hot path. A missing or late policy service is a 503, never an
 * allow: the gateway fails closed. Only the key's hash travels.
 */
export class Authorizer {
  readonly inFlight = new InFlightCalls();

  constructor(
    private readonly nc: NatsConnection,
    private readonly timeoutMs = AUTHORIZE_TIMEOUT_MS,
  ) {}

  async authorize(req: AuthorizeRequest, traceparent?: string): Promise<AuthorizeReply> {
    try {
      const reply = await request<AuthorizeReply>(this.nc, Subjects.rpc.authorize, req, { timeoutMs: this.timeoutMs, trace: { requestId: req.requestId, traceparent } });
      if (reply.allow && reply.limits?.reservation) this.inFlight.hold(reply.limits.reservation);
      return reply;
    } catch (err) {
      return { allow: false, error: rpcFailure(err) };
    }
  }

  /** Answers a starting policy's question: which of our calls hold a reservation. */
  answerInFlight(): Subscription {
    return this.nc.subscribe(Subjects.gatewayInFlight, { callback: (_err, msg) => void msg.respond(JSON.stringify(this.inFlight.report())) });
  }

  async listModels(req: ListModelsRequest): Promise<ListModelsReply> {
    try {
      return await request<ListModelsReply>(this.nc, Subjects.rpc.listModels, req, { timeoutMs: this.timeoutMs, trace: { requestId: req.requestId } });
    } catch (err) {
      return { allow: false, error: rpcFailure(err) };
    }
  }
}

function rpcFailure(err: unknown): OpenAiError {
  if (err instanceof DomainError && err.code !== ErrorCodes.unavailable) return GatewayErrors.internal;
  return GatewayErrors.authorizeUnavailable;
}
