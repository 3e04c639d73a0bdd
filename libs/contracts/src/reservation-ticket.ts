import { z } from 'zod';
import { nanosOfUsd } from './money';
import { modelPrice } from './pricing';
import type { ReservationTicket } from './rpc';

const count = z.number().int().nonnegative();
/** USD amounts of tickets from before nano-dollars: finite (zod 4), bounded so they convert exactly. */
const usd = z.number().nonnegative().max(1e6);
const id = z.string().min(1).max(200);

/**
 * A reservation ticket as a gateway reports it when a policy starts (`sluice.gateway.in-flight`),
 * checked field by field: a restored ticket holds a parallel slot and a budget reservation, and a
 * sweep charges its worst case at its price. A ticket handed out by a policy from before amounts
 * were nano-dollars (a rolling upgrade) carries `reservedUsd` and a price in USD: it is upcast.
 */
export const InFlightTicket = z
  .object({
    callId: id,
    keyId: id,
    admittedAt: count,
    tokens: count,
    reservedNanos: count.optional(),
    reservedUsd: usd.optional(),
    price: z.union([
      z.object({ inputNanosPerMTok: count, outputNanosPerMTok: count, cachedInputNanosPerMTok: count.nullable() }),
      z.object({ inputUsdPerMTok: usd, outputUsdPerMTok: usd, cachedInputUsdPerMTok: usd.nullable() }),
    ]),
    worstCase: z.object({ inputTokens: count, outputTokens: count }),
    call: z.object({
      model: z.string(),
      upstreamModel: z.string(),
      providerId: z.string(),
      operation: z.string(),
      clientIp: z.string(),
    }),
  })
  .refine((t) => t.reservedNanos !== undefined || t.reservedUsd !== undefined, {
    message: 'a ticket holds reservedNanos',
    path: ['reservedNanos'],
  })
  // Object.assign, not a spread: on Node 20 a literal that spreads one object and adds fields costs
  // ~1 µs per added field (docs/benchmarks.md), and policy reads one ticket per leased call.
  .transform(
    ({ reservedNanos, reservedUsd, price, ...ticket }): ReservationTicket =>
      Object.assign(ticket, {
        reservedNanos: reservedNanos ?? nanosOfUsd(reservedUsd!),
        price: 'inputNanosPerMTok' in price ? price : modelPrice(price),
      }),
  );
