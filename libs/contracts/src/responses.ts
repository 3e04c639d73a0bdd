import { z } from 'zod';
import { PROVIDER_TYPES } from './rpc';

/**
 * A response id Sluice returned on `/v1/responses`, bound to the virtual key (by id, so a
 * regenerated key keeps it) that created it. The gateway publishes it to JetStream before the
 * response's last bytes (msgID = the response id: a retry stores it once, and the first binding of
 * an id wins); metering keeps it for the retention period. A native response lives upstream and
 * Sluice keeps only where it is; a bridged one (Sluice built it from chat completions) keeps the
 * response and its input, which is all a later turn needs.
 */
export const StoredResponse = z.object({
  responseId: z.string().min(1).max(256),
  keyId: z.string(),
  /** The call that created it (its usage message's `requestId`). */
  callId: z.string(),
  model: z.string(),
  route: z.object({
    providerId: z.string(),
    providerType: z.enum(PROVIDER_TYPES as [string, ...string[]]),
    baseUrl: z.string().nullable(),
    upstreamModel: z.string(),
    secretVersion: z.number().int().optional(),
  }),
  mode: z.enum(['native', 'bridged']),
  previousResponseId: z.string().nullable(),
  createdAt: z.string(),
  /**
   * Native only: what a turn continuing this response carries in before its own input — this
   * response's input and output tokens as the upstream billed them — so its reservation covers it.
   */
  contextTokens: z.number().int().nonnegative().optional(),
  /** Bridged only: the response object as the client received it. */
  response: z.record(z.string(), z.unknown()).optional(),
  /** Bridged only: this turn's input items, with their ids. */
  input: z.array(z.unknown()).optional(),
});
export type StoredResponse = z.infer<typeof StoredResponse>;

export interface ResponseLookupRequest {
  responseId: string;
  /** The asking key: another key's response is not found, exactly like an unknown id. */
  keyId: string;
  /** Also the turns of the conversation it ends (bridged), newest first, as many as one reply holds. */
  conversation?: boolean;
}

/** One turn of a bridged conversation: what went in and what came out. */
export interface ConversationTurn {
  input: unknown[];
  output: unknown[];
}

export type ResponseLookupReply =
  | { found: false }
  | {
      found: true;
      response: StoredResponse;
      /** With `conversation`: turns from this response back, newest first. */
      turns?: ConversationTurn[];
      /** Set when the turns did not fit in one reply: ask again from this (older) response id. */
      continueFrom?: string | null;
    };

export interface ResponseDeleteRequest {
  responseId: string;
  keyId: string;
}

export interface ResponseDeleteReply {
  deleted: boolean;
}
