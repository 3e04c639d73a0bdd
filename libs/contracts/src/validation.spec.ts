import { z } from 'zod';
import { CreateKeyBody, CreateProviderBody, RotateProviderBody } from './admin';
import { parseOrThrow } from './validation';

const failure = (schema: z.ZodTypeAny, input: unknown) => {
  try {
    parseOrThrow(schema, input);
  } catch (err) {
    return {
      code: (err as { code: string }).code,
      message: (err as Error).message,
      param: (err as { details?: { param?: string } }).details?.param,
    };
  }
  throw new Error('accepted');
};

describe('admin input validation', () => {
  it('names an unknown field in `param`, at any depth', () => {
    expect(failure(CreateKeyBody, { name: 'x', rollover: true })).toMatchObject({
      code: 'VALIDATION_FAILED',
      param: 'rollover',
    });
    expect(failure(CreateKeyBody, { name: 'x', budget: { maxUsd: 1, rollover: true } })).toMatchObject({
      code: 'VALIDATION_FAILED',
      param: 'budget.rollover',
    });
  });

  it('refuses a provider key no HTTP header can carry, naming the field and never echoing the key', () => {
    for (const apiKey of ['sk-…', 'sk-abc def', 'sk-abc\n', ' sk-abc', 'sk-ключ']) {
      for (const [schema, body] of [
        [CreateProviderBody, { name: 'p', type: 'openai', apiKey }],
        [RotateProviderBody, { apiKey }],
      ] as const) {
        const refused = failure(schema, body);
        expect(refused).toMatchObject({
          code: 'VALIDATION_FAILED',
          param: 'apiKey',
          message: expect.stringContaining('HTTP header'),
        });
        expect(refused.message).not.toContain(apiKey.trim());
      }
    }
    expect(
      parseOrThrow(CreateProviderBody, { name: 'p', type: 'openai', apiKey: 'sk-proj-AbC_123-xyz.~+/=' }).apiKey,
    ).toBe('sk-proj-AbC_123-xyz.~+/=');
  });
});
