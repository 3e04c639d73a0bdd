import { InFlightTicket, Streams, type ReservationTicket } from '@sluice/contracts';
import { followStreamInBursts, type NatsConnection } from '@sluice/messaging';
import type { Logger } from '@sluice/service';
import type { Limiter } from './limiter';

/**
 * The calls gateways started under leases (`Subjects.leaseCalls`, stream SLUICE_LEASE_CALLS), read in
 * one burst every `everyMs`: policy needs them only for a lease its gateway never hands back (the
 * gateway died, its spool gone), whose calls are then swept at their worst case — long after any
 * burst. A lease handed back brings its running calls' tickets itself. Read as a pushed message per
 * call, the notices woke this process once per leased call. Only notices stored from now on matter:
 * an earlier process's leases died with it.
 */
export function followLeaseCalls(
  nc: NatsConnection,
  limiter: Limiter,
  everyMs: number,
  logger: Logger,
): Promise<{ stop(): Promise<void> }> {
  return followStreamInBursts(nc, {
    everyMs,
    stream: Streams.leaseCalls.name,
    deliverNew: true,
    handler: (msg) => {
      const notice = leasedCallOf(msg.data);
      if (notice) limiter.leasedCallStarted(notice.leaseId, notice.ticket);
    },
    onError: (err, msg) => logger.error({ seq: msg.seq, err: err.name }, 'skipped a lease-call notice'),
  });
}

/**
 * A call started under a lease, as it arrived, checked: a lease id and a well-formed reservation
 * ticket (anyone allowed to publish here could otherwise have policy sweep a call that never was).
 */
export function leasedCallOf(data: Uint8Array): { leaseId: string; ticket: ReservationTicket } | null {
  let raw: { leaseId?: unknown; ticket?: unknown };
  try {
    raw = JSON.parse(new TextDecoder().decode(data));
  } catch {
    return null;
  }
  if (typeof raw?.leaseId !== 'string') return null;
  const parsed = InFlightTicket.safeParse(raw.ticket);
  return parsed.success ? { leaseId: raw.leaseId, ticket: parsed.data } : null;
}
