import type { NestFastifyApplication } from '@nestjs/platform-fastify';

/**
 * JSON bodies, where an empty body (a DELETE or POST sent with a JSON content type and nothing
 * in it, as many HTTP clients do) means "no body" instead of a 400.
 */
export function acceptEmptyJsonBodies(app: NestFastifyApplication): void {
  const fastify = app.getHttpAdapter().getInstance();
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    const text = body as string;
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      done(Object.assign(new Error('the request body is not valid JSON'), { statusCode: 400, code: 'VALIDATION_FAILED' }), undefined);
    }
  });
}

