import type { z } from 'zod';
import { DomainError, ErrorCodes } from './errors';

/** Parses input with its contract's schema; failure is a VALIDATION_FAILED naming the field. */
export function parseOrThrow<S extends z.ZodTypeAny>(schema: S, input: unknown): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  // An unknown field is reported on the object that holds it; the field itself is what to name.
  const path = issue?.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]] : (issue?.path ?? []);
  const param = path.length ? path.join('.') : null;
  const message = issue ? `${param ? `${param}: ` : ''}${issue.message}` : 'invalid input';
  throw new DomainError(ErrorCodes.validation, message, { param });
}
