import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * The web console's files: same origin as /admin/v1, so the page needs no CORS and may talk to
 * nothing else. Scripts and styles come only from this origin, nothing inline, no eval, no
 * frames; Trusted Types forbid HTML sinks, so an injected string can never become markup.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

interface ConsoleFile {
  type: string;
  body: Buffer;
  gzip: Buffer;
  /** Content-hashed assets never change; the page is revalidated on every load. */
  cacheControl: string;
}

/** The built console in memory (it is small), each file gzipped once. Null when it was not built. */
export function loadConsole(dir: string): Map<string, ConsoleFile> | null {
  const manifestPath = join(dir, 'manifest.json');
  if (!existsSync(manifestPath)) return null;
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { index: string; assets: string[] };
  const files = new Map<string, ConsoleFile>();
  const add = (urlPath: string, file: string, cacheControl: string) => {
    const body = readFileSync(join(dir, file));
    files.set(urlPath, {
      type: TYPES[file.slice(file.lastIndexOf('.'))] ?? 'application/octet-stream',
      body,
      gzip: gzipSync(body, { level: 9 }),
      cacheControl,
    });
  };
  add('/', manifest.index, 'no-cache');
  for (const asset of manifest.assets) add(`/${asset}`, asset, 'public, max-age=31536000, immutable');
  return files;
}

/** GET / and /assets/*: the console. Outside /admin/v1, so no admin token is needed to load the page. */
export function serveConsole(fastify: FastifyInstance, dir: string): void {
  const files = loadConsole(dir);
  const send = (path: string, req: FastifyRequest, reply: FastifyReply) => {
    const file = files?.get(path);
    if (!file) {
      const status = files ? 404 : 503;
      return reply
        .code(status)
        .headers(SECURITY_HEADERS)
        .type('text/plain; charset=utf-8')
        .send(files ? 'not found' : 'The console is not built: run `npm run build` (npm start builds it).');
    }
    const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    void reply
      .headers(SECURITY_HEADERS)
      .header('cache-control', file.cacheControl)
      .header('vary', 'accept-encoding')
      .type(file.type);
    if (gzip) void reply.header('content-encoding', 'gzip');
    return reply.send(gzip ? file.gzip : file.body);
  };
  fastify.get('/', (req, reply) => send('/', req, reply));
  fastify.get<{ Params: { file: string } }>('/assets/:file', (req, reply) =>
    send(`/assets/${req.params.file}`, req, reply),
  );
}
