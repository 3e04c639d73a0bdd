import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { waitFor } from '@sluice/testing';
import { anyJson, deepJson, headerValue, mutated, nastyString, pathSegment, wire } from './fuzz/arbitraries';
import { rawExchange, type RawRequest, type RawResponse } from './fuzz/raw-http';
import { startE2eSystem, type E2eSystem } from './support/e2e-system';

jest.setTimeout(180_000);

// Seeded, so a run is repeatable; bounded in time, so `npm test` stays fast (the issue asks < 60 s).
const SEED = Number(process.env.SLUICE_FUZZ_SEED ?? 20261204);
const INGRESS_MS = Number(process.env.SLUICE_FUZZ_INGRESS_MS ?? 25_000);
const ADMIN_MS = Number(process.env.SLUICE_FUZZ_ADMIN_MS ?? 15_000);
const ANSWER_WITHIN_MS = 20_000;

const STACK_TRACE =
  /\n\s+at \S+ \(|node:internal|\.(?:ts|js):\d+:\d+|TypeError|ReferenceError|SyntaxError: (?!Unexpected token)/;
const masterKey = randomBytes(32).toString('base64');
const providerKey = `sk-upstream-fuzz-${randomBytes(8).toString('hex')}`;
const anthropicKey = `sk-ant-fuzz-${randomBytes(8).toString('hex')}`;

/**
 * Random and mutated requests against the running system (real NATS, Postgres, five services): the
 * gateway's ingress and the admin API. Whatever arrives, the answer is never a 5xx other than an
 * upstream's failure, never a stack trace, never a secret, always in the surface's error shape; and
 * the system still serves a normal call afterwards. Counts are printed for the run's record.
 */
describe('fuzzing the running system (seeded, time-bounded)', () => {
  let e2e: E2eSystem;
  let key: string;
  let keyId: string;
  let auditorToken: string;
  const secrets: string[] = [];
  const seen = new Map<string, number>();
  const count = (surface: string, r: RawResponse) =>
    seen.set(`${surface} ${r.status}`, (seen.get(`${surface} ${r.status}`) ?? 0) + 1);

  beforeAll(async () => {
    e2e = await startE2eSystem({
      masterKey,
      env: { SLUICE_LOG_BODIES: '0' },
      upstream: { anthropicApiKey: anthropicKey },
    });
    // Every dialect's every path: chat; Messages native (anthropic) and translated; Responses native and bridged.
    const providers: [string, Record<string, unknown>, string][] = [
      [
        'gpt-fuzz',
        { name: 'fuzz-upstream', type: 'openai-compatible', apiKey: providerKey, baseUrl: e2e.upstream.url },
        'mock-gpt',
      ],
      [
        'gpt-fuzz-native',
        {
          name: 'fuzz-native',
          type: 'openai-compatible',
          apiKey: providerKey,
          baseUrl: e2e.upstream.url,
          supportsResponses: true,
        },
        'mock-gpt',
      ],
      [
        'claude-fuzz',
        { name: 'fuzz-anthropic', type: 'anthropic', apiKey: anthropicKey, baseUrl: e2e.upstream.url },
        'claude-mock',
      ],
    ];
    for (const [model, body, upstreamModel] of providers) {
      const provider = await e2e.admin('POST', '/providers', body);
      expect(provider.status).toBe(201);
      expect(
        (
          await e2e.admin('POST', '/models', {
            name: model,
            providerId: provider.body.id,
            upstreamModel,
            inputUsdPerMTok: 1,
            outputUsdPerMTok: 2,
            maxOutputTokens: 512,
          })
        ).status,
      ).toBe(201);
    }
    const created = await e2e.admin('POST', '/keys', {
      name: 'fuzzed',
      rateLimits: { requestsPerMinute: 100_000 },
      budget: { maxUsd: 1000 },
    });
    expect(created.status).toBe(201);
    ({ key, id: keyId } = created.body);
    const auditor = await e2e.admin('POST', '/admin-tokens', { name: 'fuzz-auditor', role: 'auditor' });
    auditorToken = auditor.body.token;
    secrets.push(masterKey, e2e.system.adminToken, providerKey, anthropicKey, key, auditorToken);
  });
  afterAll(async () => {
    console.log(
      `fuzz (seed ${SEED}): ${[...seen]
        .sort()
        .map(([k, n]) => `${k}: ${n}`)
        .join(', ')}`,
    );
    await e2e?.stop();
  });

  const port = (url: string) => Number(new URL(url).port);
  /** `surface`: the admin API, or the ingress in OpenAI's shape or (Messages routes) Anthropic's. */
  const problemsWith = (r: RawResponse, surface: Surface): string[] => {
    const problems: string[] = [];
    const text = `${r.headers}\n${r.body}`;
    for (const secret of secrets) if (text.includes(secret)) problems.push('a secret in the answer');
    if (STACK_TRACE.test(r.body)) problems.push('a stack trace in the body');
    if (r.status >= 500 && !(surface !== 'admin' && isUpstreamFailure(r, surface)))
      problems.push(`a ${r.status} that is not an upstream failure`);
    if (r.status >= 400 && r.status !== 405 && !errorShaped(r, surface))
      problems.push(`a ${r.status} whose body is not the documented error shape`);
    return problems;
  };

  it('the gateway: never a 5xx but an upstream failure, a stack trace or a secret, whatever the method, path, headers and body', async () => {
    const gatewayPort = port(e2e.system.gatewayUrl);
    const validChat = { model: 'gpt-fuzz', messages: [{ role: 'user', content: 'hello fuzz' }], max_tokens: 16 };
    const chatFields = [
      'model',
      'messages',
      'stream',
      'stream_options',
      'max_tokens',
      'max_completion_tokens',
      'n',
      'tools',
      'tool_choice',
      'functions',
      'response_format',
      'user',
      'temperature',
      'logit_bias',
      'seed',
    ];
    const json = (b: unknown) => Buffer.from(JSON.stringify(b) ?? '');
    const hostileBodies = [
      { weight: 1, arbitrary: anyJson.map(json) },
      { weight: 1, arbitrary: deepJson.map((s) => Buffer.from(s)) },
      { weight: 1, arbitrary: fc.uint8Array({ maxLength: 512 }).map((a) => Buffer.from(a)) },
    ];
    const model = (...names: string[]) =>
      fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom(...names, 'nope') },
        { weight: 1, arbitrary: fc.constant('m'.repeat(300)) },
      );
    const messages = fc.array(
      fc.record({
        role: fc.oneof(fc.constantFrom('user', 'system', 'assistant', 'tool'), nastyString(8)),
        content: anyJson,
      }),
      { maxLength: 4 },
    );
    const chatBody = fc.oneof(
      { weight: 4, arbitrary: mutated(validChat, chatFields).map(json) },
      {
        weight: 2,
        arbitrary: fc
          .record({
            model: model('gpt-fuzz'),
            messages,
            stream: fc.boolean(),
            max_tokens: fc.constantFrom(8, 16),
            user: nastyString(16),
          })
          .map(json),
      },
      {
        weight: 1,
        arbitrary: fc.record({ model: fc.constantFrom('gpt-fuzz'), input: anyJson, prompt: anyJson }).map(json),
      },
      ...hostileBodies,
    );
    // Anthropic's Messages, as Claude Code sends them: native (claude-fuzz) and translated (gpt-fuzz).
    const validMessages = {
      model: 'claude-fuzz',
      max_tokens: 16,
      messages: [{ role: 'user', content: 'hello fuzz' }],
      metadata: { user_id: 'fuzz-user' },
    };
    const messagesFields = [
      'model',
      'max_tokens',
      'messages',
      'system',
      'stream',
      'metadata',
      'tools',
      'tool_choice',
      'thinking',
      'temperature',
      'top_k',
      'stop_sequences',
    ];
    const messagesBody = fc.oneof(
      {
        weight: 4,
        arbitrary: fc
          .constantFrom('claude-fuzz', 'gpt-fuzz')
          .chain((m) => mutated({ ...validMessages, model: m }, messagesFields))
          .map(json),
      },
      {
        weight: 2,
        arbitrary: fc
          .record({
            model: model('claude-fuzz', 'gpt-fuzz'),
            max_tokens: fc.constantFrom(8, 16),
            messages,
            stream: fc.boolean(),
            metadata: fc.record({ user_id: nastyString(16) }),
          })
          .map(json),
      },
      ...hostileBodies,
    );
    // OpenAI's Responses, as Codex sends them: native (gpt-fuzz-native) and bridged (gpt-fuzz).
    const validResponses = { model: 'gpt-fuzz', input: 'hello fuzz', max_output_tokens: 16, store: false };
    const responsesFields = [
      'model',
      'input',
      'instructions',
      'max_output_tokens',
      'stream',
      'store',
      'previous_response_id',
      'tools',
      'tool_choice',
      'text',
      'reasoning',
      'user',
      'metadata',
      'background',
      'conversation',
      'safety_identifier',
      'prompt_cache_key',
      'truncation',
    ];
    const responsesBody = fc.oneof(
      {
        weight: 4,
        arbitrary: fc
          .constantFrom('gpt-fuzz', 'gpt-fuzz-native')
          .chain((m) => mutated({ ...validResponses, model: m }, responsesFields))
          .map(json),
      },
      {
        weight: 2,
        arbitrary: fc
          .record({
            model: model('gpt-fuzz', 'gpt-fuzz-native'),
            input: fc.oneof(nastyString(16), messages),
            stream: fc.boolean(),
            store: fc.boolean(),
            user: nastyString(16),
            safety_identifier: nastyString(16),
            prompt_cache_key: nastyString(16),
            metadata: fc.dictionary(nastyString(8), nastyString(16), { maxKeys: 2 }),
          })
          .map(json),
      },
      ...hostileBodies,
    );
    const responseId = fc.oneof(fc.constant('resp_0123456789abcdef'), nastyString(24).map(pathSegment));
    const target = fc.oneof(
      {
        weight: 4,
        arbitrary: fc.record({
          path: fc.oneof(
            {
              weight: 6,
              arbitrary: fc.constantFrom(
                '/v1/chat/completions',
                '/v1/completions',
                '/v1/embeddings',
                '/v1/models',
                '/v1/models/gpt-fuzz',
              ),
            },
            {
              weight: 1,
              arbitrary: fc
                .tuple(
                  fc.constantFrom(
                    '/v1/',
                    '/v1/models/',
                    '/',
                    '/v1/chat/completions?',
                    '//v1/',
                    '/v1/../admin/v1/keys',
                    '/v1/messages/',
                    '/v1/responses/',
                  ),
                  fc.webSegment(),
                )
                .map(([a, b]) => a + b),
            },
            { weight: 1, arbitrary: nastyString(40).map((s) => `/v1/${pathSegment(s)}`) },
          ),
          body: chatBody,
        }),
      },
      {
        weight: 2,
        arbitrary: fc.record({
          path: fc.constantFrom('/v1/messages', '/v1/messages?beta=true', '/v1/messages/count_tokens'),
          body: messagesBody,
        }),
      },
      {
        weight: 2,
        arbitrary: fc.record({
          path: fc.oneof(
            { weight: 2, arbitrary: fc.constantFrom('/v1/responses', '/v1/responses/input_tokens') },
            {
              weight: 1,
              arbitrary: fc
                .tuple(
                  responseId,
                  fc.constantFrom(
                    '',
                    '/cancel',
                    '/input_items',
                    '/input_items?limit=2&order=asc&after=x',
                    '?stream=true',
                  ),
                )
                .map(([id, rest]) => `/v1/responses/${id}${rest}`),
            },
          ),
          body: responsesBody,
        }),
      },
    );
    const auth = fc.oneof(
      { weight: 5, arbitrary: fc.constant((k: string): [string, string][] => [['authorization', `Bearer ${k}`]]) },
      { weight: 1, arbitrary: fc.constant((k: string): [string, string][] => [['x-api-key', k]]) },
      { weight: 1, arbitrary: fc.constant((): [string, string][] => []) },
      { weight: 1, arbitrary: headerValue.map((v) => (): [string, string][] => [['authorization', wire(v)]]) },
      {
        weight: 1,
        arbitrary: fc.constant((k: string): [string, string][] => [
          ['authorization', `Bearer ${k.slice(0, -1)}${k.endsWith('a') ? 'b' : 'a'}`],
        ]),
      },
    );
    const extraHeaders = fc.array(
      fc.tuple(
        fc.constantFrom(
          'content-type',
          'x-request-id',
          'x-portkey-metadata',
          'x-portkey-trace-id',
          'traceparent',
          'x-forwarded-for',
          'accept',
          'x-stainless-retry-count',
          'anthropic-version',
          'anthropic-beta',
          'openai-beta',
          'x-claude-code-session-id',
          'session-id',
        ),
        headerValue,
      ),
      { maxLength: 4 },
    );
    const request = fc.record({
      method: fc.constantFrom('POST', 'POST', 'POST', 'GET', 'PUT', 'DELETE', 'OPTIONS', 'HEAD'),
      target,
      auth,
      extra: extraHeaders,
    });

    const failures: string[] = [];
    await fc
      .assert(
        fc.asyncProperty(request, async (r) => {
          const { path, body } = r.target;
          const req: RawRequest = {
            method: r.method,
            path,
            headers: [
              ['content-type', 'application/json'],
              ...r.auth(key),
              ...r.extra.map(([n, v]): [string, string] => [n, wire(v)]),
            ],
            body,
          };
          const res = await rawExchange(gatewayPort, req, ANSWER_WITHIN_MS).catch((err: Error) => {
            failures.push(`${err.message}: ${describeRequest(req)}`);
            throw err;
          });
          const surface = ingressSurface(path, req.headers);
          count(surface, res);
          // A HEAD answer has no body to check the shape of.
          const problems =
            r.method === 'HEAD'
              ? problemsWith({ ...res, body: '' }, surface).filter((p) => !p.includes('error shape'))
              : problemsWith(res, surface);
          if (problems.length > 0)
            failures.push(
              `${problems.join('; ')}: ${r.method} ${JSON.stringify(path)} ${body.toString('utf8').slice(0, 200)} → ${res.status} ${res.body.slice(0, 300)}`,
            );
          return problems.length === 0;
        }),
        {
          seed: SEED,
          numRuns: 1_000_000,
          interruptAfterTimeLimit: INGRESS_MS,
          markInterruptAsFailure: false,
          endOnFailure: true,
        },
      )
      .catch((err) => {
        throw fuzzFailure(failures, err);
      });
    expect(failures).toEqual([]);
  });

  it('the admin API: never a 5xx, a stack trace or a secret, for any token, path and body', async () => {
    const adminPort = port(e2e.system.adminUrl);
    const validKey = {
      name: 'fz',
      models: ['gpt-*'],
      operations: ['chat'],
      rateLimits: { requestsPerMinute: 10 },
      budget: { maxUsd: 5, period: '1d' },
      ipAllowlist: ['10.0.0.0/8'],
      expiresAt: '2030-01-01T00:00:00Z',
      metadata: { team: 'fuzz' },
    };
    const keyFields = Object.keys(validKey).concat(['description', 'providerIds']);
    const body = fc.oneof(
      { weight: 4, arbitrary: mutated(validKey, keyFields).map((b) => Buffer.from(JSON.stringify(b))) },
      {
        weight: 1,
        arbitrary: mutated(
          { name: 'p', type: 'openai-compatible', apiKey: 'sk-abc', baseUrl: 'https://example.invalid/v1' },
          ['name', 'type', 'apiKey', 'baseUrl'],
        ).map((b) => Buffer.from(JSON.stringify(b))),
      },
      { weight: 1, arbitrary: anyJson.map((v) => Buffer.from(JSON.stringify(v) ?? '')) },
      { weight: 1, arbitrary: deepJson.map((s) => Buffer.from(s)) },
      { weight: 1, arbitrary: fc.uint8Array({ maxLength: 256 }).map((a) => Buffer.from(a)) },
    );
    const id = fc.oneof(fc.constant('key_doesnotexist0000000'), nastyString(24).map(pathSegment));
    const path = fc.oneof(
      fc.constantFrom(
        '/admin/v1/keys',
        '/admin/v1/providers',
        '/admin/v1/models',
        '/admin/v1/admin-tokens',
        '/admin/v1/audit/events',
        '/admin/v1/requests',
        '/admin/v1/whoami',
        '/admin/v1/openapi.json',
      ),
      id.map((i) => `/admin/v1/keys/${i}`),
      id.map((i) => `/admin/v1/keys/${i}/regenerate`),
      id.map((i) => `/admin/v1/keys/${i}/simulate`),
      fc
        .tuple(
          fc.constantFrom(
            '/admin/v1/keys?',
            '/admin/v1/audit/events?',
            '/admin/v1/requests?',
            `/admin/v1/keys/KEY/usage?`,
          ),
          fc.array(
            fc.tuple(
              fc.constantFrom('status', 'cursor', 'limit', 'q', 'from', 'to', 'granularity', 'type', 'keyId'),
              nastyString(20),
            ),
            { maxLength: 3 },
          ),
        )
        .map(([base, qs]) => base.replace('KEY', keyId) + qs.map(([k, v]) => `${k}=${pathSegment(v)}`).join('&')),
    );
    const token = fc.oneof(
      { weight: 3, arbitrary: fc.constant(() => e2e.system.adminToken) },
      { weight: 1, arbitrary: fc.constant(() => auditorToken) },
      { weight: 1, arbitrary: headerValue.map((v) => () => v) },
    );
    const request = fc.record({ method: fc.constantFrom('POST', 'PATCH', 'GET', 'DELETE', 'PUT'), path, token, body });

    const failures: string[] = [];
    await fc
      .assert(
        fc.asyncProperty(request, async (r) => {
          const req: RawRequest = {
            method: r.method,
            path: r.path,
            headers: [
              ['content-type', 'application/json'],
              ['authorization', wire(`Bearer ${r.token()}`)],
            ],
            body: r.body,
          };
          const res = await rawExchange(adminPort, req, ANSWER_WITHIN_MS).catch((err: Error) => {
            failures.push(`${err.message}: ${describeRequest(req)}`);
            throw err;
          });
          count('admin', res);
          const problems = problemsWith(res, 'admin');
          if (problems.length > 0)
            failures.push(
              `${problems.join('; ')}: ${r.method} ${JSON.stringify(r.path)} → ${res.status} ${res.body.slice(0, 300)}`,
            );
          return problems.length === 0;
        }),
        {
          seed: SEED,
          numRuns: 1_000_000,
          interruptAfterTimeLimit: ADMIN_MS,
          markInterruptAsFailure: false,
          endOnFailure: true,
        },
      )
      .catch((err) => {
        throw fuzzFailure(failures, err);
      });
    expect(failures).toEqual([]);
  });

  // What the fuzzer found (seed 20261204), kept as fixed cases: each was a 500 or an answer in another shape.
  it('answers the requests the fuzzer found in the documented shape', async () => {
    const gatewayPort = port(e2e.system.gatewayUrl);
    const adminPort = port(e2e.system.adminUrl);
    const auth: [string, string] = ['authorization', `Bearer ${key}`];
    const admin: [string, string] = ['authorization', `Bearer ${e2e.system.adminToken}`];
    const json: [string, string] = ['content-type', 'application/json'];
    const deep = Buffer.from(
      `{"model":"gpt-fuzz","messages":[{"role":"user","content":${'['.repeat(500)}${']'.repeat(500)}}]}`,
    );
    const cases: [number, RawRequest, number, Surface][] = [
      [
        gatewayPort,
        { method: 'POST', path: '/v1/chat/completions', headers: [json, auth], body: deep },
        400,
        'ingress',
      ],
      [gatewayPort, { method: 'POST', path: '/', headers: [json, auth], body: Buffer.from('{}') }, 404, 'ingress'],
      [
        gatewayPort,
        { method: 'POST', path: '/YPMp', headers: [json, auth], body: Buffer.alloc(20_000, 0x20) },
        413,
        'ingress',
      ],
      [
        adminPort,
        {
          method: 'PATCH',
          path: '/admin/v1/keys/x',
          headers: [json, ['authorization', 'Bearer \u0001x']],
          body: Buffer.from('{}'),
        },
        400,
        'admin',
      ],
      [adminPort, { method: 'GET', path: '/admin/v1/keys/%00', headers: [admin], body: Buffer.alloc(0) }, 400, 'admin'],
      [
        adminPort,
        { method: 'POST', path: '/admin/v1/keys', headers: [json, admin], body: Buffer.from('{"name":"a\\u0000b"}') },
        400,
        'admin',
      ],
      [
        adminPort,
        { method: 'GET', path: '/admin/v1/keys?q=a%00', headers: [admin], body: Buffer.alloc(0) },
        400,
        'admin',
      ],
      // A path whose percent-encoding is malformed: Fastify's router refuses it before any route.
      [gatewayPort, { method: 'GET', path: '/v1/models/%zz', headers: [auth], body: Buffer.alloc(0) }, 400, 'ingress'],
      // An Anthropic caller (x-api-key alone) on /v1/models gets Anthropic's shape, also for a method it does not
      // serve.
      [
        gatewayPort,
        { method: 'DELETE', path: '/v1/models', headers: [['x-api-key', key]], body: Buffer.from([2]) },
        404,
        'messages',
      ],
      // …and a header Node cannot read is refused in that caller's shape too.
      [
        gatewayPort,
        {
          method: 'POST',
          path: '/v1/models/gpt-fuzz',
          headers: [json, auth, ['anthropic-version', '\t'], ['x-stainless-retry-count', '\u0000']],
          body: Buffer.from('{}'),
        },
        400,
        'messages',
      ],
      [
        adminPort,
        { method: 'GET', path: '/admin/v1/keys/%E0%A4%A', headers: [admin], body: Buffer.alloc(0) },
        400,
        'admin',
      ],
      // The Messages routes (added to the fuzzer with the Responses API's): what it found there answered in OpenAI's
      // shape or not at all.
      [
        gatewayPort,
        {
          method: 'POST',
          path: '/v1/messages',
          headers: [json, auth, ['x-a', 'x'.repeat(9000)], ['x-b', 'x'.repeat(9000)]],
          body: Buffer.from('{}'),
        },
        431,
        'messages',
      ],
      [
        gatewayPort,
        {
          method: 'POST',
          path: '/v1/messages',
          headers: [json, auth],
          body: Buffer.from(
            `{"model":"claude-fuzz","max_tokens":8,"messages":[{"role":"user","content":${'['.repeat(100_000)}${']'.repeat(100_000)}}]}`,
          ),
        },
        400,
        'messages',
      ],
      [
        gatewayPort,
        {
          method: 'POST',
          path: '/v1/messages/count_tokens',
          headers: [json, auth],
          body: Buffer.from(JSON.stringify({ model: 'm'.repeat(300), messages: [] })),
        },
        400,
        'messages',
      ],
      [
        gatewayPort,
        { method: 'GET', path: '/v1/messages/count_tokens', headers: [json], body: Buffer.alloc(0) },
        401,
        'messages',
      ],
      // A response id no response can have (a NUL): metering refused the lookup and the gateway answered 503.
      [
        gatewayPort,
        { method: 'GET', path: '/v1/responses/%f1%80%96%b1%00', headers: [auth], body: Buffer.alloc(0) },
        404,
        'ingress',
      ],
      [
        gatewayPort,
        {
          method: 'POST',
          path: '/v1/responses',
          headers: [json, auth],
          body: Buffer.from(JSON.stringify({ model: 'gpt-fuzz', input: 'hi', previous_response_id: 'resp_\u0000' })),
        },
        404,
        'ingress',
      ],
      // A key that cannot be one and a large body: the gateway answered before reading it and closed at once, and
      // the reset took the 401 with it, now and then (a failed CI run).
      [
        gatewayPort,
        {
          method: 'DELETE',
          path: '/v1/messages',
          headers: [json, ['authorization', 'Bearer sk-sluice-nope'], ['anthropic-version', '2023-06-01']],
          body: Buffer.from('{"a":'.repeat(120_000)),
        },
        401,
        'messages',
      ],
    ];
    for (const [target, req, status, surface] of cases) {
      const res = await rawExchange(target, req, ANSWER_WITHIN_MS);
      expect({ path: req.path, status: res.status, problems: problemsWith(res, surface) }).toEqual({
        path: req.path,
        status,
        problems: [],
      });
    }
  });

  it('still serves, and records, a normal call afterwards', async () => {
    const created = await e2e.admin('POST', '/keys', { name: 'after-the-fuzz' });
    const res = await fetch(`${e2e.system.gatewayUrl}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${created.body.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-fuzz', messages: [{ role: 'user', content: 'still there?' }] }),
    });
    expect(res.status).toBe(200);
    await waitFor(async () => (await e2e.admin('GET', `/keys/${created.body.id}`)).body.usage?.requests === 1, {
      timeoutMs: 10_000,
      description: 'the call recorded',
    });
  });
});

type Surface = 'ingress' | 'messages' | 'admin';

/**
 * Anthropic's error shape on the Messages paths and to an Anthropic caller of /v1/models (its version header, or
 * x-api-key alone), OpenAI's elsewhere.
 */
function ingressSurface(path: string, headers: [string, string][]): Surface {
  const has = (name: string) => headers.some(([n]) => n === name);
  const anthropicCaller = has('anthropic-version') || (has('x-api-key') && !has('authorization'));
  return path.startsWith('/v1/messages') || (path.startsWith('/v1/models') && anthropicCaller) ? 'messages' : 'ingress';
}

/** An upstream that failed or could not be reached: the only 5xx the gateway may give. */
function isUpstreamFailure(r: RawResponse, surface: Surface): boolean {
  try {
    // Anthropic's shape has no code: an upstream's failure is a 502, a 504, or Anthropic's own 529 passed on.
    if (surface === 'messages') return [502, 504, 529].includes(r.status) && JSON.parse(r.body)?.type === 'error';
    const code = JSON.parse(r.body)?.error?.code;
    return typeof code === 'string' && code.startsWith('upstream');
  } catch {
    // A stream broken by its upstream after it began carries the error as an SSE event.
    return r.status === 200;
  }
}

function errorShaped(r: RawResponse, surface: Surface): boolean {
  try {
    const json = JSON.parse(r.body);
    const error = json?.error;
    if (surface === 'messages')
      return json.type === 'error' && typeof error?.type === 'string' && typeof error?.message === 'string';
    if (surface === 'admin') return typeof error?.code === 'string' && typeof error?.message === 'string';
    return typeof error?.message === 'string' && 'type' in error && 'code' in error && 'param' in error;
  } catch {
    return false;
  }
}

/**
 * What a failed run reports: the first answers that broke the rule, or why the property threw (an
 * answer that never came) — before fast-check's report, whose counterexample may be a body of
 * megabytes.
 */
function fuzzFailure(failures: string[], err: unknown): Error {
  const cause = (err as Error).cause;
  return new Error(
    [
      ...failures.slice(0, 3),
      cause instanceof Error ? `the property threw: ${cause.message}` : '',
      (err as Error).message.slice(0, 2000),
    ]
      .filter(Boolean)
      .join('\n'),
  );
}

/** A request as a failure names it: its method, path and headers, and its body's size and start. */
function describeRequest(req: RawRequest): string {
  const body = req.body.toString('latin1');
  return `${req.method} ${JSON.stringify(req.path)} headers ${JSON.stringify(req.headers).slice(0, 1500)}, a body of ${req.body.length} bytes: ${JSON.stringify(body.slice(0, 80))}`;
}
