import type { IncomingHttpHeaders } from 'node:http';
import { hashVirtualKey, type OpenAiError } from '@sluice/contracts';
import type { Authorizer } from '../authorize/authorizer';
import type { RequestContext } from './request-context';

/**
 * A well-formed key passes only a public checksum, so before the gateway reads a body larger than
 * `aboveBytes` (or one of unknown length) it asks policy whether the key could be allowed at all:
 * a key policy does not know costs the headers and one small round trip, never a buffered and
 * parsed body. Smaller bodies keep the single authorize round trip of the hot path.
 */
export class KeyCheck {
  constructor(
    private readonly authorizer: Authorizer,
    private readonly aboveBytes: number,
  ) {}

  /** For a request that carries a body: whether it may be larger than a stranger may make the gateway read. */
  needed(headers: IncomingHttpHeaders): boolean {
    const length = headers['content-length'];
    return length === undefined || Number(length) > this.aboveBytes;
  }

  async refusal(ctx: RequestContext): Promise<OpenAiError | null> {
    const reply = await this.authorizer.checkKey({
      keyHash: hashVirtualKey(ctx.key),
      clientIp: ctx.clientIp,
      requestId: ctx.requestId,
    });
    return reply.allow ? null : reply.error;
  }
}
