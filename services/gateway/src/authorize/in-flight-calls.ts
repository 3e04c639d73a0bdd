import type { ReservationTicket } from '@sluice/contracts';

/**
 * The reservations policy holds for this gateway's calls that have not reported usage yet. A
 * restarted policy asks every gateway for them, so a call in flight across the restart keeps its
 * parallel slot and its budget reservation instead of being forgotten until its usage arrives.
 */
export class InFlightCalls {
  readonly #tickets = new Map<string, ReservationTicket>();

  hold(ticket: ReservationTicket): void {
    this.#tickets.set(ticket.callId, ticket);
  }

  /** The call's usage is about to be published: from now on policy learns of it from the stream. */
  release(callId: string): void {
    this.#tickets.delete(callId);
  }

  tickets(): ReservationTicket[] {
    return [...this.#tickets.values()];
  }

  get size(): number {
    return this.#tickets.size;
  }
}
