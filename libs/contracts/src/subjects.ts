/** NATS subjects: a dotted hierarchy, broad to narrow. */
export const Subjects = {
  /** Committed log events, published by the relay with msgID = eventId. */
  event: (context: string, type: string) => `sluice.evt.${context}.${type}`,
  events: 'sluice.evt.>',
  keyEvents: 'sluice.evt.keys.>',
  providerEvents: 'sluice.evt.providers.>',
  modelEvents: 'sluice.evt.models.>',
  /** One message per served call, published by the gateway with msgID = requestId. */
  usage: 'sluice.usage.recorded',
  usageAll: 'sluice.usage.>',
  /** A usage message metering cannot record at all, kept as it arrived (reason in the `sluice-reason` header). */
  usageDeadLetter: 'sluice.dead.usage',
  /** A response id Sluice returned, bound to the key that created it (gateway → metering, msgID = response id). */
  responseStored: 'sluice.responses.stored',
  responsesAll: 'sluice.responses.>',
  /** Every gateway answers with the reservations of its calls in flight (asked by a starting policy). */
  gatewayInFlight: 'sluice.gateway.in-flight',
  /** Policy → every gateway, no reply: stop spending a key's leases, or all of them (`LeaseRevoke`). */
  gatewayLeaseRevoke: 'sluice.gateway.lease-revoke',
  rpc: {
    /** Any policy process; one that does not own the key forwards to the owner's partition. */
    authorize: 'sluice.rpc.policy.authorize',
    /** The policy process that owns partition `p` (see partitionOf); gateways go here once they know it. */
    authorizeIn: (partition: number) => `sluice.rpc.policy.p${partition}.authorize`,
    /** A partition's own answers for key-state, explain, simulate and sync (forwarded to it). */
    policyIn: (partition: number, what: 'key-state' | 'explain' | 'simulate' | 'sync') =>
      `sluice.rpc.policy.p${partition}.${what}`,
    /** Whether a key could be allowed at all (the rules that need no body), asked before a large body is read. */
    checkKey: 'sluice.rpc.policy.check-key',
    /** The models a key may use, for GET /v1/models. */
    listModels: 'sluice.rpc.policy.models',
    /** Answers once policy enforces a stream's version: read-your-writes for admin changes. */
    policySync: 'sluice.rpc.policy.sync',
    /**
     * Gateway → every policy process, no reply: the gateway gave up waiting for this call's
     * authorize reply (`{callId}`), so a reservation made for it is released uncharged.
     */
    policyCancel: 'sluice.rpc.policy.cancel',
    /**
     * Gateway → every policy process, no reply: a call's usage message, sent (and flushed) before
     * the response's last bytes, so the client's next call finds it settled. JetStream's copy
     * (`usage`) stays the durable path; policy counts whichever arrives first, once.
     */
    policySettle: 'sluice.rpc.policy.settle',
    /** Gateway → every policy process, no reply: a lease handed back with its calls' usage (`LeaseReturn`). */
    policyLeaseReturn: 'sluice.rpc.policy.lease-return',
    /**
     * Gateway → every policy process, no reply: calls admitted under a lease have started
     * (`LeasedCall`, the lease and the call's reservation ticket, or an array of them: the calls
     * one event-loop turn admitted), so policy can sweep them if their gateway dies without ever
     * reporting them.
     */
    policyLeaseCall: 'sluice.rpc.policy.lease-call',
    /** Live rate-limit and budget state of keys. */
    policyKeyState: 'sluice.rpc.policy.key-state',
    /** Every rule that applies to a key, with its state. */
    policyExplain: 'sluice.rpc.policy.explain',
    /** A dry run of authorize for a key. */
    policySimulate: 'sluice.rpc.policy.simulate',
    /** The key's own rules (and a model's route) for a call that generates nothing; nothing counted. */
    policyAccess: 'sluice.rpc.policy.access',
    /** A stored response of a key, and on request the conversation it continues (metering's store). */
    responseLookup: 'sluice.rpc.metering.response-lookup',
    /** Deletes a stored response of a key. */
    responseDelete: 'sluice.rpc.metering.response-delete',
    /**
     * Metering → every metering process, no reply: a lookup missed, so each process hands the stored
     * responses it holds for a batch to Postgres now instead of at the end of its batch wait.
     */
    responsesFlush: 'sluice.rpc.metering.responses-flush',
    /** Decrypted provider credentials, for the gateway only. */
    credentials: 'sluice.rpc.key-registry.credentials',
    keyRegistry: (command: string) => `sluice.rpc.key-registry.${command}`,
  },
} as const;

export const Streams = {
  events: { name: 'SLUICE_EVENTS', subjects: ['sluice.evt.>'] },
  usage: { name: 'SLUICE_USAGE', subjects: ['sluice.usage.>'] },
  deadLetters: { name: 'SLUICE_DEAD_LETTERS', subjects: ['sluice.dead.>'] },
  responses: { name: 'SLUICE_RESPONSES', subjects: ['sluice.responses.>'] },
} as const;

export const Consumers = {
  meteringUsage: 'metering-usage',
  meteringResponses: 'metering-responses',
} as const;

export const Headers = {
  requestId: 'x-request-id',
  traceparent: 'traceparent',
} as const;
