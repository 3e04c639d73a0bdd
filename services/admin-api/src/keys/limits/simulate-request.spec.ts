import { parseOrThrow, promptTokens, SimulateKeyBody } from '@sluice/contracts';
import { toSimulateRequest } from './simulate-request';

const simulate = (body: unknown) => toSimulateRequest('key_1', parseOrThrow(SimulateKeyBody, body));

describe('the simulate body, as the request policy dry-runs', () => {
  it('defaults to a chat call with no max_tokens', () => {
    expect(simulate({ model: 'gpt-4o' })).toEqual({
      keyId: 'key_1',
      model: 'gpt-4o',
      operation: 'chat',
      estimate: { inputTokens: 3, inputTokensBound: 16, maxOutputTokens: null },
    });
  });

  it('estimates the prompt from chat messages as the gateway does (4 chars a token, 4 per message, 3 to prime the reply), with its bound', () => {
    const messages = [{ role: 'user', content: 'x'.repeat(400) }];
    const request = simulate({ model: 'gpt-4o', messages, maxTokens: 500, clientIp: '10.0.0.7' });
    const inputTokensBound = promptTokens('chat', { messages }).bound;
    expect(inputTokensBound).toBeGreaterThanOrEqual(400);
    expect(request).toEqual({
      keyId: 'key_1',
      model: 'gpt-4o',
      operation: 'chat',
      clientIp: '10.0.0.7',
      estimate: { inputTokens: 107, inputTokensBound, maxOutputTokens: 500 },
    });
  });

  it('estimates from a completions prompt and an embeddings input', () => {
    expect(simulate({ model: 'm', operation: 'completions', prompt: 'x'.repeat(40) }).estimate).toEqual({
      inputTokens: 10,
      inputTokensBound: 43,
      maxOutputTokens: null,
    });
    expect(simulate({ model: 'm', operation: 'embeddings', input: ['abcd', 'efgh'] }).estimate).toEqual({
      inputTokens: 2,
      inputTokensBound: 14,
      maxOutputTokens: null,
    });
  });

  it('takes inputTokens as given', () => {
    expect(simulate({ model: 'm', inputTokens: 12_000, maxTokens: 1 }).estimate).toEqual({
      inputTokens: 12_000,
      maxOutputTokens: 1,
    });
  });

  it('refuses a prompt given twice, an unknown field, an operation that does not exist and a client IP that is not an address', () => {
    for (const body of [
      { model: 'm', inputTokens: 5, messages: [] },
      { model: 'm', max_tokens: 5 },
      { model: 'm', operation: 'images' },
      { model: 'm', clientIp: '10.0.0.0/8' },
      { model: 'm', maxTokens: 0 },
      {},
    ]) {
      expect(() => simulate(body)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    }
  });
});
