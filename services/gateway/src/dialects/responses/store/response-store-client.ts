import type { NatsConnection } from '@nats-io/transport-node';
import { Subjects, type ResponseDeleteReply, type ResponseLookupReply, type StoredResponse } from '@sluice/contracts';
import { maxPayloadOf, publishDurable, request } from '@sluice/messaging';
import type { Logger } from '@sluice/service';
import type { PreviousResponse } from '../responses-request';

const TIMEOUT_MS = 5000;
// Room in one message for the envelope and headers of the stored response.
const MARGIN_BYTES = 16 * 1024;
/** A conversation is read in pages; this bounds the pages of one call. */
const MAX_PAGES = 1000;
/**
 * The ids Sluice stores (OpenAI's shape; its own are `resp_` and hex): any other is no response of anyone's, and never
 * sent to metering.
 */
const RESPONSE_ID = /^[A-Za-z0-9_.:-]{1,256}$/;
export const isStorableResponseId = (id: string): boolean => RESPONSE_ID.test(id);

/**
 * The gateway's side of metering's response store, over NATS only: a response is stored by
 * publishing it to JetStream (durable, before its client has the last bytes), and read, walked
 * and deleted by asking metering, always as the asking key. A store that does not answer is an
 * error (503), never a "not found".
 */
export class ResponseStoreClient {
  constructor(
    private readonly nc: NatsConnection,
    private readonly logger: Logger,
  ) {}

  /** The most bytes a stored response may take: one NATS message. */
  get maxBytes(): number {
    return maxPayloadOf(this.nc) - MARGIN_BYTES;
  }

  /** Stores a response; false (logged) when it could not be, and its id will then be unknown. */
  async save(stored: StoredResponse): Promise<boolean> {
    const bytes = Buffer.byteLength(JSON.stringify(stored));
    if (bytes > this.maxBytes) {
      this.logger.warn(
        { callId: stored.callId, bytes, maxBytes: this.maxBytes },
        'a response is larger than one NATS message and was not stored',
      );
      return false;
    }
    try {
      await publishDurable(this.nc, Subjects.responseStored, stored, stored.responseId);
      return true;
    } catch (err) {
      this.logger.error({ callId: stored.callId, err: (err as Error).message }, 'a response could not be stored');
      return false;
    }
  }

  async find(responseId: string, keyId: string): Promise<StoredResponse | null> {
    if (!isStorableResponseId(responseId)) return null;
    const reply = await request<ResponseLookupReply>(
      this.nc,
      Subjects.rpc.responseLookup,
      { responseId, keyId },
      { timeoutMs: TIMEOUT_MS },
    );
    return reply.found ? reply.response : null;
  }

  /**
   * A response of this key with the conversation it ends (a bridged one's items, oldest first); null when there is
   * none.
   */
  async conversation(responseId: string, keyId: string): Promise<PreviousResponse | null> {
    if (!isStorableResponseId(responseId)) return null;
    const turns: { input: unknown[]; output: unknown[] }[] = [];
    let stored: StoredResponse | null = null;
    let from: string | null | undefined = responseId;
    for (let page = 0; from && page < MAX_PAGES; page++) {
      const reply: ResponseLookupReply = await request<ResponseLookupReply>(
        this.nc,
        Subjects.rpc.responseLookup,
        { responseId: from, keyId, conversation: true },
        { timeoutMs: TIMEOUT_MS },
      );
      if (!reply.found) {
        if (stored === null) return null;
        break;
      }
      stored ??= reply.response;
      turns.push(...(reply.turns ?? []));
      from = reply.continueFrom;
    }
    const items: unknown[] = [];
    for (let i = turns.length - 1; i >= 0; i--) items.push(...turns[i].input, ...turns[i].output);
    return { stored: stored!, items };
  }

  async remove(responseId: string, keyId: string): Promise<boolean> {
    if (!isStorableResponseId(responseId)) return false;
    return (
      await request<ResponseDeleteReply>(
        this.nc,
        Subjects.rpc.responseDelete,
        { responseId, keyId },
        { timeoutMs: TIMEOUT_MS },
      )
    ).deleted;
  }
}
