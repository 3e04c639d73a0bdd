import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import OpenAI from 'openai';
import pino from 'pino';
import {
  formatNanoUsd,
  generateVirtualKey,
  hashVirtualKey,
  modelPrice,
  Streams,
  Subjects,
  type AccessReply,
  type AccessRequest,
  type AuthorizeReply,
  type AuthorizeRequest,
  type CheckKeyRequest,
  type LeaseGrant,
  type ListModelsRequest,
  type ProviderCredential,
  type ReservationTicket,
  type ResponseLookupReply,
  type ResponseLookupRequest,
  type Route,
  type StoredResponse,
  type UsageMessage,
  usagesIn,
} from '@sluice/contracts';
import { connectNats, ensureStreams, serve, type NatsConnection } from '@sluice/messaging';
import { startMockUpstream, type MockUpstream } from '@sluice/mock-llm';
import { UpstreamAllowList } from '@sluice/net-policy';
import { startTestNats, streamMessages, waitFor, type TestNats, type TestNatsOptions } from '@sluice/testing';
import type { GatewayConfig } from '../src/config';
import { startGateway, type RunningGateway } from '../src/gateway';

export const PROVIDER_SECRET = 'sk-upstream-real-secret-0123456789abcdef';
export const KEY_ID = 'key-0001';
/** The catalog price policy attaches to the `gpt-priced` route: $2.50 / $10 / $1.25 cached per million tokens. */
export const PRICE = modelPrice({ inputUsdPerMTok: 2.5, outputUsdPerMTok: 10, cachedInputUsdPerMTok: 1.25 });
/** What PRICE charges, as the cost header writes it: 2,500 / 10,000 / 1,250 nano-dollars a token, added exactly. */
export const priced = (t: { input: number; cached?: number; output: number }): string =>
  formatNanoUsd((t.input - (t.cached ?? 0)) * 2500 + (t.cached ?? 0) * 1250 + t.output * 10_000);

export interface Harness {
  nats: TestNats;
  nc: NatsConnection;
  gateway: RunningGateway;
  /** Fast upstream; `slow` paces its chunks; `silent` never reports usage. */
  upstream: MockUpstream;
  slow: MockUpstream;
  silent: MockUpstream;
  key: string;
  /** Mutable: what key-registry answers on the credentials subject. */
  credentials: ProviderCredential[];
  /** Mutable: model name → route (policy allows) ; absent → 404 model_not_found. */
  routes: Map<string, Route>;
  authorizeRequests: AuthorizeRequest[];
  /**
   * Mutable: key hashes policy answers as an unreachable or an older policy would. `silent`: asked,
   * never answered. `olderPolicy`: a lease's renewal counted as a call, with a reservation.
   */
  policyQuirks: Map<string, 'silent' | 'olderPolicy'>;
  /** Mutable: the responses metering's store answers the gateway with (another key's are not found). */
  storedResponses: Map<string, StoredResponse>;
  /** Key checks the gateway asked for before reading a large body. */
  checkKeyRequests: CheckKeyRequest[];
  credentialRequests: () => number;
  logs: string[];
  client(options?: Partial<ConstructorParameters<typeof OpenAI>[0]>): OpenAI;
  usageMessages(): Promise<UsageMessage[]>;
  usageOf(requestId: string): Promise<UsageMessage>;
  stop(): Promise<void>;
}

export interface HarnessOptions {
  nats?: TestNatsOptions;
  /** Policy admits every call with a reservation ticket, as it does for a key with limits. */
  reservations?: boolean;
  /** Policy also leases further calls like each one it admits (a grant without its id). */
  lease?: Omit<LeaseGrant, 'leaseId'>;
  /** Adds the model `gpt-held`, whose upstream answers only after this long. */
  heldLatencyMs?: number;
  /** Gateway settings other than the defaults (deadlines, limits). */
  gateway?: Partial<GatewayConfig>;
}

/**
 * A real NATS with JetStream, small responders standing in for policy and key-registry, three mock
 * upstreams and the gateway in this process, driven through the official openai SDK.
 */
export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const nats = await startTestNats(opts.nats);
  const nc = await connectNats(nats.url, 'gateway-test');
  await ensureStreams(nc);
  const [upstream, slow, silent, held] = await Promise.all([
    startMockUpstream(),
    startMockUpstream({ chunkDelayMs: 15 }),
    startMockUpstream({ omitUsage: true }),
    opts.heldLatencyMs === undefined ? undefined : startMockUpstream({ latencyMs: opts.heldLatencyMs }),
  ]);
  const key = generateVirtualKey();
  const credentials: ProviderCredential[] = [
    {
      providerId: 'prov-main',
      type: 'openai-compatible',
      baseUrl: upstream.url,
      apiKey: PROVIDER_SECRET,
      secretVersion: 1,
    },
    {
      providerId: 'prov-slow',
      type: 'openai-compatible',
      baseUrl: slow.url,
      apiKey: PROVIDER_SECRET,
      secretVersion: 1,
    },
    {
      providerId: 'prov-silent',
      type: 'openai-compatible',
      baseUrl: silent.url,
      apiKey: PROVIDER_SECRET,
      secretVersion: 1,
    },
    {
      providerId: 'prov-dead',
      type: 'openai-compatible',
      baseUrl: 'http://127.0.0.1:9/v1',
      apiKey: PROVIDER_SECRET,
      secretVersion: 1,
    },
    ...(held
      ? [
          {
            providerId: 'prov-held',
            type: 'openai-compatible' as const,
            baseUrl: held.url,
            apiKey: PROVIDER_SECRET,
            secretVersion: 1,
          },
        ]
      : []),
  ];
  // As policy does: a route carries its provider's configured base URL.
  const route = (providerId: string, providerType: Route['providerType'], upstreamModel: string): Route => ({
    providerId,
    providerType,
    baseUrl: credentials.find((c) => c.providerId === providerId)?.baseUrl ?? null,
    upstreamModel,
  });
  const routes = new Map<string, Route>([
    ['gpt-test', route('prov-main', 'openai-compatible', 'upstream-gpt')],
    ['gpt-slow', route('prov-slow', 'openai-compatible', 'upstream-slow')],
    ['gpt-silent', route('prov-silent', 'openai-compatible', 'upstream-silent')],
    ['gpt-dead', route('prov-dead', 'openai-compatible', 'upstream-dead')],
    ['gpt-mock', route('prov-mock', 'mock', 'mock-gpt')],
    ['gpt-priced', { ...route('prov-main', 'openai-compatible', 'upstream-priced'), price: PRICE }],
    ['emb-test', route('prov-main', 'openai-compatible', 'upstream-embedding')],
  ]);
  if (held) routes.set('gpt-held', route('prov-held', 'openai-compatible', 'upstream-held'));
  for (const fault of ['error-500', 'error-429', 'error-401', 'error-html-502', 'redirect', 'cut-0', 'cut-3'])
    routes.set(`fault-${fault}`, route('prov-main', 'openai-compatible', fault));

  const authorizeRequests: AuthorizeRequest[] = [];
  const policyQuirks = new Map<string, 'silent' | 'olderPolicy'>();
  const storedResponses = new Map<string, StoredResponse>();
  const checkKeyRequests: CheckKeyRequest[] = [];
  let credentialRequests = 0;
  const denyKey = {
    allow: false as const,
    error: {
      status: 401,
      type: 'invalid_request_error',
      code: 'invalid_api_key',
      message: 'Incorrect API key provided.',
      param: null,
    },
  };
  const responders = [
    serve(
      nc,
      Subjects.rpc.authorize,
      async (payload): Promise<AuthorizeReply> => {
        const req = payload as AuthorizeRequest;
        authorizeRequests.push(req);
        const quirk = policyQuirks.get(req.keyHash);
        if (quirk === 'silent') return new Promise<never>(() => {});
        if (req.keyHash !== hashVirtualKey(key) && !quirk) return denyKey;
        const r = routes.get(req.model);
        if (!r)
          return {
            allow: false,
            keyId: KEY_ID,
            error: {
              status: 404,
              type: 'invalid_request_error',
              code: 'model_not_found',
              param: null,
              message: `The model \`${req.model}\` does not exist or you do not have access to it.`,
            },
          };
        if (!opts.reservations || !req.callId) return { allow: true, keyId: KEY_ID, route: r };
        const lease = opts.lease ? { ...opts.lease, leaseId: `${req.callId}.lease` } : undefined;
        return {
          allow: true,
          keyId: KEY_ID,
          route: r,
          limits: {
            headers: {},
            reservedNanos: 10_000_000,
            budgetRemainingNanos: null,
            // A lease's renewal is no call: nothing is reserved for it (an older policy counts it as one).
            ...(req.renews === undefined || quirk === 'olderPolicy' ? { reservation: ticketFor(req, r) } : {}),
            ...(lease ? { lease } : {}),
          },
        };
      },
      { queue: 'policy' },
    ),
    serve(
      nc,
      Subjects.rpc.policyAccess,
      async (payload): Promise<AccessReply> => {
        const req = payload as AccessRequest;
        if (req.keyHash !== hashVirtualKey(key)) return denyKey;
        const r = req.model === undefined ? undefined : routes.get(req.model);
        return r ? { allow: true, keyId: KEY_ID, route: r } : { allow: true, keyId: KEY_ID };
      },
      { queue: 'policy' },
    ),
    serve(
      nc,
      Subjects.rpc.responseLookup,
      async (payload): Promise<ResponseLookupReply> => {
        const req = payload as ResponseLookupRequest;
        const found = storedResponses.get(req.responseId);
        return found && found.keyId === req.keyId ? { found: true, response: found } : { found: false };
      },
      { queue: 'metering' },
    ),
    serve(
      nc,
      Subjects.rpc.checkKey,
      async (payload) => {
        const req = payload as CheckKeyRequest;
        checkKeyRequests.push(req);
        return req.keyHash === hashVirtualKey(key) ? { allow: true } : denyKey;
      },
      { queue: 'policy' },
    ),
    serve(
      nc,
      Subjects.rpc.listModels,
      async (payload) => {
        const req = payload as ListModelsRequest;
        if (req.keyHash !== hashVirtualKey(key)) return denyKey;
        return {
          allow: true,
          keyId: KEY_ID,
          models: ['gpt-test', 'gpt-mock'].map((id) => ({ id, created: 1_700_000_000, ownedBy: 'sluice' })),
        };
      },
      { queue: 'policy' },
    ),
    serve(
      nc,
      Subjects.rpc.credentials,
      async () => {
        credentialRequests++;
        return credentials;
      },
      { queue: 'key-registry' },
    ),
  ];

  const logs: string[] = [];
  const sink = new Writable({
    write: (chunk, _enc, done) => {
      logs.push(chunk.toString());
      done();
    },
  });
  const logger = pino({ level: 'debug', base: { service: 'gateway' } }, sink);
  // The mock upstreams listen on loopback, which production refuses unless SLUICE_UPSTREAM_ALLOW lists it.
  // A spool of its own: one shared with other runs would republish their unfinished calls here.
  const spoolDir = testSpoolDir();
  const gateway = await startGateway({
    port: 0,
    host: '127.0.0.1',
    natsUrl: nats.url,
    logger,
    upstreamAllow: UpstreamAllowList.parse('127.0.0.0/8,::1'),
    spoolDir,
    ...opts.gateway,
  });
  await waitFor(async () => (await fetch(`${gateway.url.replace(/\/v1$/, '')}/ready`)).status === 200, {
    description: 'the gateway to be ready',
  });

  // One call's usage per element: a message carries one call or a batch of them.
  const usageMessages = async (): Promise<UsageMessage[]> =>
    (await streamMessages<unknown>(nc, Streams.usage.name)).flatMap((m) => usagesIn(m) as UsageMessage[]);

  return {
    nats,
    nc,
    gateway,
    upstream,
    slow,
    silent,
    key,
    credentials,
    routes,
    authorizeRequests,
    policyQuirks,
    storedResponses,
    checkKeyRequests,
    credentialRequests: () => credentialRequests,
    logs,
    client: (options = {}) => new OpenAI({ apiKey: key, baseURL: gateway.url, maxRetries: 0, ...options }),
    usageMessages,
    usageOf: (requestId) =>
      waitFor(
        async () => (await usageMessages()).find((m) => m.requestId === requestId || m.clientRequestId === requestId),
        { timeoutMs: 5000, description: `the usage message of ${requestId}` },
      ),
    async stop() {
      await gateway.close();
      for (const r of responders) r.unsubscribe();
      await nc.drain();
      await Promise.all([upstream.close(), slow.close(), silent.close(), held?.close()]);
      await nats.stop();
      rmSync(spoolDir, { recursive: true, force: true });
    },
  };
}

/** The reservation policy would hold for an admitted call of a key with limits. */
function ticketFor(req: AuthorizeRequest, route: Route): ReservationTicket {
  return {
    callId: req.callId!,
    keyId: KEY_ID,
    admittedAt: Date.now(),
    tokens: req.estimate?.inputTokens ?? 0,
    reservedNanos: 10_000_000,
    price: PRICE,
    worstCase: { inputTokens: req.estimate?.inputTokens ?? 0, outputTokens: 4096 },
    call: {
      model: req.model,
      upstreamModel: route.upstreamModel,
      providerId: route.providerId,
      operation: req.operation,
      clientIp: req.clientIp,
    },
  };
}

/** The plain HTTP view, for what the SDK would not send. */
export async function rawPost(
  h: Harness,
  path: string,
  body: string,
  headers: Record<string, string>,
): Promise<{ status: number; headers: Headers; json: any }> {
  const res = await fetch(`${h.gateway.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : null };
}

/** A spool directory of the test's own (mkdtemp makes it 0700, as the gateway requires). */
export const testSpoolDir = (): string => mkdtempSync(join(tmpdir(), 'sluice-gateway-spool-'));
