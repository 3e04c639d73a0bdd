import {
  DomainError,
  ErrorCodes,
  Subjects,
  usdOfNanos,
  type AuthorizeReply,
  type AccessRequest,
  type AuthorizeRequest,
  type CheckKeyRequest,
  type KeyStateReply,
  type KeyStateRequest,
  type ListModelsRequest,
  type SimulateReply,
  type SimulateRequest,
  type SyncRequest,
  type LeaseReturn,
  UsageMessage,
  InFlightTicket,
  type ReservationTicket,
} from '@sluice/contracts';
import { request, serve, type NatsConnection, type RpcLogger, type TraceHeaders } from '@sluice/messaging';
import { access } from './authorize/access';
import { authorize } from './authorize/authorize';
import { checkKey } from './check-key/check-key';
import type { Catalog } from './catalog/catalog';
import { explainKey } from './explain/explain';
import { keyLimitState } from './explain/key-state';
import type { KeyPolicy, KeyTable } from './keys/key-table';
import type { Limiter } from './limits/limiter';
import { listModels } from './list-models/list-models';
import type { Partitioning } from './partitioning';
import type { AppliedVersions } from './sync/applied-versions';
import { endAuthorizeSpan, startAuthorizeSpan } from './telemetry/authorize-span';
import type { PolicyMetrics } from './telemetry/policy-metrics';

export interface PolicyState {
  keys: KeyTable;
  catalog: Catalog;
  limiter: Limiter;
  versions: AppliedVersions;
  partitioning: Partitioning;
  metrics: PolicyMetrics;
}

const FORWARD_TIMEOUT_MS = 1500;
/** More leased calls than one turn of a gateway admits: the rest of a larger (forged) array is ignored. */
const MAX_NOTICES = 1024;

/**
 * Every subject policy answers. The shared subjects (queue group `policy`) reach any process; one
 * that does not own the key forwards to the owner's partition subject, so counters live in exactly
 * one process. With one partition (the default) nothing is forwarded.
 */
export function servePolicy(nc: NatsConnection, p: PolicyState, logger: RpcLogger): void {
  const shared = { queue: 'policy', logger };
  const own = { queue: `policy-p${p.partitioning.mine}`, logger };
  const mine = p.partitioning.mine;
  const forward = <T>(subject: string, payload: unknown, trace?: TraceHeaders) =>
    request<T>(nc, subject, payload, { timeoutMs: FORWARD_TIMEOUT_MS, trace });

  const authorizeHere = async (payload: unknown, trace: TraceHeaders): Promise<AuthorizeReply> => {
    const req = payload as AuthorizeRequest & { forwarded?: boolean };
    const now = Date.now();
    const owner = ownerOf(p, p.keys.byHash(req.keyHash, now));
    // A permissions-only question needs no counters: any partition answers it.
    if (owner !== mine && !req.forwarded && !req.checkOnly)
      return forward<AuthorizeReply>(Subjects.rpc.authorizeIn(owner), { ...req, forwarded: true }, trace);
    const span = startAuthorizeSpan(trace.traceparent);
    const reply = authorize(req, p.keys, p.catalog, p.limiter, now);
    if (reply.keyId) reply.keyName = p.keys.byId(reply.keyId)?.name;
    if (req.renews === undefined) p.metrics.decided(reply); // a lease's successor is no call's decision
    endAuthorizeSpan(span, reply);
    return p.partitioning.partitions > 1 ? { ...reply, partition: mine } : reply;
  };
  serve(nc, Subjects.rpc.authorize, authorizeHere, shared);
  // Every process: only the owner of the call's key holds its reservation.
  nc.subscribe(Subjects.rpc.policyCancel, {
    callback: (_err, msg) => {
      try {
        const callId = (msg.json() as { callId?: unknown }).callId;
        if (typeof callId === 'string') p.limiter.cancel(callId, Date.now());
      } catch {
        // not JSON: nothing to cancel
      }
    },
  });
  // Every process: only the one that granted the lease knows it.
  nc.subscribe(Subjects.rpc.policyLeaseCall, {
    callback: (_err, msg) => {
      for (const notice of leasedCallsOf(msg.data)) p.limiter.leasedCallStarted(notice.leaseId, notice.ticket);
    },
  });
  // Every process: only the one that granted the lease holds it.
  nc.subscribe(Subjects.rpc.policyLeaseReturn, {
    callback: (_err, msg) => {
      const returned = leaseReturnOf(msg.data);
      if (returned) p.limiter.returnLease(returned.leaseId, returned.keyId, returned.usages, Date.now());
    },
  });
  // Every process holds every key, and nothing is counted: any process answers.
  serve(nc, Subjects.rpc.checkKey, async (req) => checkKey(req as CheckKeyRequest, p.keys, Date.now()), shared);
  serve(
    nc,
    Subjects.rpc.listModels,
    async (req) => listModels(req as ListModelsRequest, p.keys, p.catalog, Date.now()),
    shared,
  );
  // Any process: it counts nothing, and every process follows every key.
  serve(
    nc,
    Subjects.rpc.policyAccess,
    async (req) => access(req as AccessRequest, p.keys, p.catalog, Date.now()),
    shared,
  );

  const syncHere = async (req: SyncRequest) => ({
    applied: await p.versions.waitFor(req.streamId, req.version, Math.min(req.timeoutMs ?? 1000, 5000)),
  });
  serve(
    nc,
    Subjects.rpc.policySync,
    async (payload) => {
      const req = payload as SyncRequest;
      // A change is in force when every partition has applied it, not only the one that was asked.
      const others = p.partitioning
        .others()
        .map((o) =>
          forward<{ applied: boolean }>(Subjects.rpc.policyIn(o, 'sync'), req).catch(() => ({ applied: false })),
        );
      const results = await Promise.all([syncHere(req), ...others]);
      return { applied: results.every((r) => r.applied) };
    },
    shared,
  );

  const keyStateHere = (keyIds: string[]): KeyStateReply => {
    const now = Date.now();
    const states: KeyStateReply['states'] = {};
    for (const keyId of keyIds) {
      const key = p.keys.byId(keyId);
      if (key) states[keyId] = keyLimitState(key, p.limiter, now);
    }
    return { states };
  };
  serve(
    nc,
    Subjects.rpc.policyKeyState,
    async (payload) => {
      const byOwner = new Map<number, string[]>();
      for (const keyId of (payload as KeyStateRequest).keyIds ?? []) {
        const owner = p.partitioning.ownerOf(keyId);
        byOwner.set(owner, [...(byOwner.get(owner) ?? []), keyId]);
      }
      const parts = await Promise.all(
        [...byOwner].map(([owner, keyIds]) =>
          owner === mine
            ? keyStateHere(keyIds)
            : forward<KeyStateReply>(Subjects.rpc.policyIn(owner, 'key-state'), { keyIds }).catch(() => ({
                states: {},
              })),
        ),
      );
      return { states: Object.assign({}, ...parts.map((part) => part.states)) } satisfies KeyStateReply;
    },
    shared,
  );

  const explainHere = async (req: unknown) =>
    explainKey(keyOrThrow(p.keys, (req as { keyId: string }).keyId), p.limiter, Date.now());
  const simulateHere = async (req: unknown) => simulate(req as SimulateRequest, p);
  const viaOwner = (what: 'explain' | 'simulate', here: (req: unknown) => Promise<unknown>) => async (req: unknown) => {
    const owner = p.partitioning.ownerOf((req as { keyId: string }).keyId);
    return owner === mine ? here(req) : forward(Subjects.rpc.policyIn(owner, what), req);
  };
  serve(nc, Subjects.rpc.policyExplain, viaOwner('explain', explainHere), shared);
  serve(nc, Subjects.rpc.policySimulate, viaOwner('simulate', simulateHere), shared);

  if (p.partitioning.partitions > 1) {
    serve(nc, Subjects.rpc.authorizeIn(mine), authorizeHere, own);
    serve(nc, Subjects.rpc.policyIn(mine, 'sync'), async (req) => syncHere(req as SyncRequest), own);
    serve(
      nc,
      Subjects.rpc.policyIn(mine, 'key-state'),
      async (req) => keyStateHere((req as KeyStateRequest).keyIds ?? []),
      own,
    );
    serve(nc, Subjects.rpc.policyIn(mine, 'explain'), explainHere, own);
    serve(nc, Subjects.rpc.policyIn(mine, 'simulate'), simulateHere, own);
  }
}

/**
 * A lease return as it arrived, checked: ids as strings, and only the usages that match the usage
 * schema and name the lease (anyone may publish here; the lease's own key is checked by the limiter).
 */
export function leaseReturnOf(data: Uint8Array): { leaseId: string; keyId: string; usages: UsageMessage[] } | null {
  let raw: Partial<LeaseReturn>;
  try {
    raw = JSON.parse(new TextDecoder().decode(data));
  } catch {
    return null;
  }
  if (typeof raw?.leaseId !== 'string' || typeof raw.keyId !== 'string' || !Array.isArray(raw.usages)) return null;
  const usages: UsageMessage[] = [];
  for (const item of raw.usages) {
    const parsed = UsageMessage.safeParse(item);
    if (parsed.success && parsed.data.leaseId === raw.leaseId) usages.push(parsed.data);
  }
  return { leaseId: raw.leaseId, keyId: raw.keyId, usages };
}

/** The partition that answers for a call: the key's owner, or this one for a secret no key has. */
function ownerOf(p: PolicyState, key: KeyPolicy | undefined): number {
  return key ? p.partitioning.ownerOf(key.keyId) : p.partitioning.mine;
}

function simulate(req: SimulateRequest, p: PolicyState): SimulateReply {
  const key = keyOrThrow(p.keys, req.keyId);
  const reply = authorize(
    {
      keyHash: key.keyHash,
      model: req.model,
      operation: req.operation,
      clientIp: req.clientIp ?? '',
      requestId: 'simulate',
      estimate: req.estimate,
    },
    p.keys,
    p.catalog,
    p.limiter,
    Date.now(),
    { dryRun: true, ignoreIp: req.clientIp === undefined },
  );
  if (reply.allow) {
    return {
      allowed: true,
      rule: null,
      error: null,
      route: { providerId: reply.route.providerId, upstreamModel: reply.route.upstreamModel },
      headers: reply.limits?.headers ?? {},
      reservedUsd: reply.limits?.reservedNanos == null ? null : usdOfNanos(reply.limits.reservedNanos),
    };
  }
  const rule = reply.error.rule ?? (reply.error.code === 'model_not_found' ? 'models' : null);
  return { allowed: false, rule, error: reply.error, route: null, headers: reply.headers ?? {}, reservedUsd: null };
}

function keyOrThrow(keys: KeyTable, keyId: string): KeyPolicy {
  const key = keys.byId(keyId);
  if (!key) throw new DomainError(ErrorCodes.keyNotFound, `key ${keyId} does not exist`);
  return key;
}

/**
 * Calls started under a lease, as they arrived (one notice, or a gateway turn's in an array),
 * checked: a lease id and a well-formed reservation ticket each (anyone allowed to publish here
 * could otherwise have policy sweep a call that never was); what is not one is skipped.
 */
export function leasedCallsOf(data: Uint8Array): { leaseId: string; ticket: ReservationTicket }[] {
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder().decode(data));
  } catch {
    return [];
  }
  const notices: { leaseId: string; ticket: ReservationTicket }[] = [];
  for (const item of Array.isArray(raw) ? raw.slice(0, MAX_NOTICES) : [raw]) {
    const { leaseId, ticket } = (item ?? {}) as { leaseId?: unknown; ticket?: unknown };
    if (typeof leaseId !== 'string') continue;
    const parsed = InFlightTicket.safeParse(ticket);
    if (parsed.success) notices.push({ leaseId, ticket: parsed.data });
  }
  return notices;
}
