import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DomainError, ErrorCodes, describeUnstorable, unstorableIn } from '@sluice/contracts';
import { sendDomainError } from './error.filter';

/**
 * Every string an admin sends — path parameters, the query, the JSON body, keys and values alike —
 * ends up in a Postgres `text` or `jsonb` column or a query against one, and Postgres cannot hold a
 * NUL or an unpaired surrogate (it fails the statement: a 500). Refused up front as a validation
 * error naming where it was, before any handler or guard runs a query with it.
 */
export function refuseUnstorableInput(app: NestFastifyApplication): void {
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('preValidation', async (req, reply) => {
      const found =
        unstorablePath(req.params, 'path') ?? unstorablePath(req.query, 'query') ?? unstorablePath(req.body, '');
      if (!found) return;
      sendDomainError(
        reply,
        new DomainError(
          ErrorCodes.validation,
          `${found.where || 'the body'} contains ${describeUnstorable(found.why)}, which cannot be stored`,
          { param: found.where || null },
        ),
      );
      return reply;
    });
}

type Found = { where: string; why: NonNullable<ReturnType<typeof unstorableIn>> };

/**
 * The first string (as a key or a value) Postgres cannot store, with its dotted path; iterative, so any depth is safe.
 */
function unstorablePath(value: unknown, root: string): Found | null {
  const stack: [unknown, string][] = [[value, root]];
  while (stack.length > 0) {
    const [v, where] = stack.pop()!;
    if (typeof v === 'string') {
      const why = unstorableIn(v);
      if (why) return { where, why };
    } else if (v !== null && typeof v === 'object') {
      for (const [k, child] of Object.entries(v)) {
        const path = where ? `${where}.${k}` : k;
        const why = unstorableIn(k);
        if (why) return { where: path, why };
        stack.push([child, path]);
      }
    }
  }
  return null;
}
