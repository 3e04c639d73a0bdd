import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { jsonNestsDeeperThan, MAX_JSON_DEPTH } from '@sluice/service';

const invalidBody = (message: string) =>
  Object.assign(new Error(message), { statusCode: 400, code: 'VALIDATION_FAILED' });

/**
 * JSON bodies, where an empty body (a DELETE or POST sent with a JSON content type and nothing
 * in it, as many HTTP clients do) means "no body" instead of a 400. Nesting is bounded as on the
 * gateway: what is parsed here is validated, estimated and serialised again.
 */
export function acceptEmptyJsonBodies(app: NestFastifyApplication): void {
  const fastify = app.getHttpAdapter().getInstance();
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) => {
    const bytes = body as Buffer;
    const text = bytes.toString('utf8');
    if (text.trim() === '') return done(null, undefined);
    if (jsonNestsDeeperThan(bytes))
      return done(
        invalidBody(`the request body nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep`),
        undefined,
      );
    try {
      done(null, JSON.parse(text));
    } catch {
      done(invalidBody('the request body is not valid JSON'), undefined);
    }
  });
}
