import type { IncomingMessage } from 'node:http';
import { BODY_TOO_LARGE } from './admission';

type BodyError = Error & { code?: string; statusCode: number };

const tooLarge = (): BodyError =>
  Object.assign(new Error('request body too large'), { code: BODY_TOO_LARGE, statusCode: 413 });
const unreadable = (why: string): BodyError => Object.assign(new Error(why), { statusCode: 400 });

/**
 * A request's body as bytes, as Fastify's buffer parser reads it: refused unread when its declared
 * length is over `limit`, cut when more than `limit` arrives, and a 400 when it breaks off or its
 * length is not what it declared.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (declared > limit) return Promise.reject(tooLarge());
  // Gone while its key was checked with policy: its error and close were before anyone listened.
  if (req.destroyed) return Promise.reject(unreadable('request body cut off'));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const stop = (): void => {
      req.removeListener('data', onData);
      req.removeListener('end', onEnd);
      req.removeListener('error', onError);
      req.removeListener('close', onClose);
    };
    const onData = (chunk: Buffer): void => {
      received += chunk.length;
      if (received <= limit) chunks.push(chunk);
      else {
        stop();
        reject(tooLarge());
      }
    };
    const onEnd = (): void => {
      stop();
      if (!Number.isNaN(declared) && received !== declared) reject(unreadable('request body length mismatch'));
      else resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, received));
    };
    const onError = (err: Error): void => {
      stop();
      reject(Object.assign(err, { statusCode: 400 }));
    };
    // A client gone before its body ended (Node also reports it as an error).
    const onClose = (): void => {
      stop();
      reject(unreadable('request body cut off'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}
