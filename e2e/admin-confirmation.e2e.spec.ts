import OpenAI from 'openai';
import { startE2eSystem, type E2eSystem } from './support/e2e-system';

jest.setTimeout(120_000);

interface Answer {
  status: number;
  change: string | null;
  changeStatus: string | null;
  body: any;
  ms: number;
}

/**
 * An admin write answers what is true: 2xx once policy enforces the change, 202 while it is
 * recorded but not yet in force (policy paused with SIGSTOP here), with a way to wait for it.
 */
describe('admin writes say whether policy enforces them (the running system, policy paused)', () => {
  let e2e: E2eSystem;
  let providerId: string;
  beforeAll(async () => {
    e2e = await startE2eSystem();
    providerId = await e2e.addCatalog('upstream', ['gpt-test']);
  });
  afterAll(() => e2e?.stop());

  const call = async (method: string, path: string, body?: unknown): Promise<Answer> => {
    const t0 = Date.now();
    const res = await fetch(`${e2e.system.adminUrl}/admin/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${e2e.system.adminToken}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return {
      status: res.status,
      change: res.headers.get('x-sluice-change'),
      changeStatus: res.headers.get('x-sluice-change-status'),
      body: text ? JSON.parse(text) : null,
      ms: Date.now() - t0,
    };
  };
  const chat = (apiKey: string) =>
    new OpenAI({
      apiKey,
      baseURL: e2e.system.gatewayUrl.replace('localhost', '127.0.0.1'),
      maxRetries: 0,
    }).chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] });
  const paused = async <T>(during: () => Promise<T>): Promise<T> => {
    const pid = e2e.system.services.get('policy')!.pid!;
    process.kill(pid, 'SIGSTOP');
    try {
      return await during();
    } finally {
      process.kill(pid, 'SIGCONT');
    }
  };

  it('answers writes policy confirmed as before, naming the change and saying it is applied', async () => {
    const created = await call('POST', '/keys', { name: 'confirmed' });
    expect(created).toMatchObject({
      status: 201,
      change: `key-${created.body.id}@1`,
      changeStatus: 'applied',
      body: { key: expect.any(String) },
    });
    expect(await call('POST', `/keys/${created.body.id}/disable`)).toMatchObject({
      status: 200,
      change: `key-${created.body.id}@2`,
      changeStatus: 'applied',
    });
    expect(
      await call('POST', '/models', {
        name: 'gpt-other',
        providerId,
        upstreamModel: 'gpt-test',
        inputUsdPerMTok: 1,
        outputUsdPerMTok: 1,
      }),
    ).toMatchObject({ status: 201, changeStatus: 'applied' });
    expect(await call('DELETE', '/models/gpt-other')).toMatchObject({
      status: 204,
      change: 'model-gpt-other@2',
      changeStatus: 'applied',
    });
  });

  it('answers 202, recorded but not in force, while policy cannot confirm, and lets the caller wait for it', async () => {
    const created = await call('POST', '/keys', { name: 'revoke-me' });
    const { id, key } = created.body;
    await expect(chat(key)).resolves.toBeTruthy();

    const revoked = await paused(async () => {
      const answer = await call('DELETE', `/keys/${id}?wait=0.3`);
      // Not yet: the status endpoint says the same, at once with wait=0.
      expect(await call('GET', `/changes/${encodeURIComponent(answer.change ?? '')}?wait=0`)).toMatchObject({
        status: 200,
        body: { change: `key-${id}@2`, streamId: `key-${id}`, version: 2, status: 'pending' },
      });
      return answer;
    });
    expect(revoked).toMatchObject({
      status: 202,
      change: `key-${id}@2`,
      changeStatus: 'pending',
      body: { id, status: 'revoked' },
    });
    expect(revoked.ms).toBeLessThan(2000);

    // Policy runs again: waiting on the change returns as soon as it is in force.
    expect(await call('GET', `/changes/${encodeURIComponent(revoked.change!)}?wait=10`)).toMatchObject({
      status: 200,
      body: { status: 'applied' },
    });
    await expect(chat(key)).rejects.toMatchObject({ status: 401, code: 'invalid_api_key' });
  });

  it('gives every write that waits on policy the same answer: keys, providers and models, with the default wait', async () => {
    const key = (await call('POST', '/keys', { name: 'patch-me' })).body;
    const answers = await paused(async () => [
      await call('PATCH', `/keys/${key.id}`, { description: 'while paused' }),
      await call('POST', '/keys', { name: 'created-while-paused' }),
      await call('PATCH', `/providers/${providerId}`, { name: 'renamed-while-paused' }),
      await call('DELETE', '/models/gpt-test?wait=0'),
    ]);
    expect(answers.map((a) => [a.status, a.changeStatus])).toEqual([
      [202, 'pending'],
      [202, 'pending'],
      [202, 'pending'],
      [202, 'pending'],
    ]);
    // The default wait is the documented 2 s.
    expect(answers[0].ms).toBeGreaterThanOrEqual(1900);
    expect(answers[1].body.key).toMatch(/^sk-sluice-/);
    for (const answer of answers)
      expect(await call('GET', `/changes/${encodeURIComponent(answer.change!)}?wait=10`)).toMatchObject({
        body: { status: 'applied' },
      });
  });

  it('refuses a wait it cannot honour and a change that does not exist', async () => {
    expect(await call('DELETE', '/keys/key_whatever?wait=forever')).toMatchObject({
      status: 400,
      body: { error: { code: 'VALIDATION_FAILED', param: 'wait' } },
    });
    expect(await call('GET', '/changes/key-key_missing@1')).toMatchObject({
      status: 404,
      body: { error: { code: 'NOT_FOUND' } },
    });
    expect(await call('GET', '/changes/not-a-change')).toMatchObject({
      status: 400,
      body: { error: { param: 'change' } },
    });
  });
});
