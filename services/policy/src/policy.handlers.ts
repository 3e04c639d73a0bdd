import {
  DomainError,
  ErrorCodes,
  Subjects,
  type AuthorizeRequest,
  type KeyStateReply,
  type KeyStateRequest,
  type ListModelsRequest,
  type SimulateReply,
  type SimulateRequest,
  type SyncRequest,
} from '@sluice/contracts';
import { serve, type NatsConnection, type RpcLogger } from '@sluice/messaging';
import { authorize } from './authorize/authorize';
import type { Catalog } from './catalog/catalog';
import { explainKey } from './explain/explain';
import { keyLimitState } from './explain/key-state';
import type { KeyPolicy, KeyTable } from './keys/key-table';
import type { Limiter } from './limits/limiter';
import { listModels } from './list-models/list-models';
import type { AppliedVersions } from './sync/applied-versions';

export interface PolicyState {
  keys: KeyTable;
  catalog: Catalog;
  limiter: Limiter;
  versions: AppliedVersions;
}

/** Every subject policy answers; one queue group, so replicas of one partition share the work. */
export function servePolicy(nc: NatsConnection, p: PolicyState, logger: RpcLogger): void {
  const opts = { queue: 'policy', logger };
  serve(nc, Subjects.rpc.authorize, async (req) => authorize(req as AuthorizeRequest, p.keys, p.catalog, p.limiter, Date.now()), opts);
  serve(nc, Subjects.rpc.listModels, async (req) => listModels(req as ListModelsRequest, p.keys, p.catalog, Date.now()), opts);
  serve(nc, Subjects.rpc.policySync, async (req) => {
    const { streamId, version, timeoutMs } = req as SyncRequest;
    return { applied: await p.versions.waitFor(streamId, version, Math.min(timeoutMs ?? 1000, 5000)) };
  }, opts);
  serve(nc, Subjects.rpc.policyKeyState, async (req) => {
    const now = Date.now();
    const states: KeyStateReply['states'] = {};
    for (const keyId of (req as KeyStateRequest).keyIds ?? []) {
      const key = p.keys.byId(keyId);
      if (key) states[keyId] = keyLimitState(key, p.limiter, now);
    }
    return { states } satisfies KeyStateReply;
  }, opts);
  serve(nc, Subjects.rpc.policyExplain, async (req) => explainKey(keyOrThrow(p.keys, (req as { keyId: string }).keyId), p.limiter, Date.now()), opts);
  serve(nc, Subjects.rpc.policySimulate, async (req) => simulate(req as SimulateRequest, p), opts);
}

function simulate(req: SimulateRequest, p: PolicyState): SimulateReply {
  const key = keyOrThrow(p.keys, req.keyId);
  const reply = authorize(
    { keyHash: key.keyHash, model: req.model, operation: req.operation, clientIp: req.clientIp ?? '', requestId: 'simulate', estimate: req.estimate },
    p.keys,
    p.catalog,
    p.limiter,
    Date.now(),
    { dryRun: true, ignoreIp: req.clientIp === undefined },
  );
  if (reply.allow) {
    return { allowed: true, rule: null, error: null, route: { providerId: reply.route.providerId, upstreamModel: reply.route.upstreamModel }, headers: reply.limits?.headers ?? {}, reservedUsd: reply.limits?.reservedUsd ?? null };
  }
  const rule = reply.error.rule ?? (reply.error.code === 'model_not_found' ? 'models' : null);
  return { allowed: false, rule, error: reply.error, route: null, headers: reply.headers ?? {}, reservedUsd: null };
}

function keyOrThrow(keys: KeyTable, keyId: string): KeyPolicy {
  const key = keys.byId(keyId);
  if (!key) throw new DomainError(ErrorCodes.keyNotFound, `key ${keyId} does not exist`);
  return key;
}
