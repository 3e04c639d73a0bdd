import { z } from 'zod';

/** Small builders for the OpenAPI document, fed by the same zod schemas that validate requests. */
export const jsonBody = (schema: z.ZodType) => ({
  required: true,
  content: { 'application/json': { schema: z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) } },
});
export const ok = (description: string) => ({ description });
export const errors = {
  '400': ok('invalid input: {error: {code, message, param}}'),
  '401': ok('missing or wrong admin token'),
  '403': ok('the token role may not do this'),
  '404': ok('not found'),
  '409': ok('conflict'),
};

export type Paths = Record<string, Record<string, unknown>>;
