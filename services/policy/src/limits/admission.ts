import type { AllowedLimits, CallEstimate, OpenAiError, ReservationTicket } from '@sluice/contracts';
import type { CatalogModel } from '../catalog/catalog';

/** A call policy is asked to admit: what it is, where it goes, what it may consume. */
export interface Ask {
  callId: string;
  model: CatalogModel;
  operation: string;
  clientIp: string;
  estimate: CallEstimate;
}

/** The limiter's decision: allowed with what it holds for the call, or refused with the headers to send. */
export type Admission =
  | { ok: true; limits: AllowedLimits }
  | { ok: false; error: OpenAiError; headers: Record<string, string> };

/** An admitted call that has not reported usage yet. */
export interface Reservation extends ReservationTicket {
  sweeping?: boolean;
}
