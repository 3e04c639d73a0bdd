import { InFlightTicket } from './reservation-ticket';

describe('a reservation ticket a gateway reports when policy starts', () => {
  const ticket = {
    callId: 'call-1',
    keyId: 'key_1',
    admittedAt: 1_796_428_090_825,
    tokens: 120,
    reservedNanos: 3_000_000,
    price: { inputNanosPerMTok: 1_000_000_000, outputNanosPerMTok: 2_000_000_000, cachedInputNanosPerMTok: null },
    worstCase: { inputTokens: 1000, outputTokens: 1000 },
    call: { model: 'm', upstreamModel: 'm', providerId: 'p', operation: 'chat', clientIp: '127.0.0.1' },
  };

  it('takes a well-formed ticket as it is', () => {
    expect(InFlightTicket.parse(ticket)).toEqual(ticket);
  });

  it('upcasts a ticket handed out before amounts were nano-dollars (a rolling upgrade)', () => {
    const { reservedNanos: _, ...rest } = ticket;
    const legacy = {
      ...rest,
      reservedUsd: 0.003,
      price: { inputUsdPerMTok: 1, outputUsdPerMTok: 2, cachedInputUsdPerMTok: null },
    };
    expect(InFlightTicket.parse(legacy)).toEqual(ticket);
  });

  it('refuses a ticket with a negative, non-finite or missing amount, or a field of the wrong kind', () => {
    const { reservedNanos: _, ...withoutReservation } = ticket;
    for (const bad of [
      { ...ticket, reservedNanos: -1_000_000_000_000 },
      { ...ticket, tokens: -5 },
      { ...ticket, admittedAt: 'yesterday' },
      { ...ticket, price: { ...ticket.price, outputNanosPerMTok: -1 } },
      { ...ticket, worstCase: JSON.parse('{"inputTokens":1e400,"outputTokens":0}') },
      { ...ticket, callId: '' },
      { ...ticket, keyId: 42 },
      withoutReservation,
      { ...ticket, call: undefined },
    ]) {
      expect(InFlightTicket.safeParse(bad).success).toBe(false);
    }
  });
});
