import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import Fastify, { type FastifyInstance } from 'fastify';
import { CONSOLE_CSP, serveConsole } from './serve-console';

describe('serving the web console', () => {
  const dirs: string[] = [];
  const apps: FastifyInstance[] = [];

  const built = () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-console-'));
    dirs.push(dir);
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><script type="module" src="/assets/app-ABC.js"></script>');
    writeFileSync(join(dir, 'assets', 'app-ABC.js'), 'console.log("app");'.repeat(50));
    writeFileSync(join(dir, 'assets', 'app-DEF.css'), 'body{margin:0}');
    writeFileSync(
      join(dir, 'manifest.json'),
      JSON.stringify({ index: 'index.html', assets: ['assets/app-ABC.js', 'assets/app-DEF.css'] }),
    );
    return dir;
  };
  const server = async (dir: string) => {
    const app = Fastify();
    apps.push(app);
    serveConsole(app, dir);
    await app.ready();
    return app;
  };

  afterAll(async () => {
    for (const app of apps) await app.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('serves the page at / with a strict Content-Security-Policy, never cached stale', async () => {
    const res = await (await server(built())).inject({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.body).toContain('/assets/app-ABC.js');
    expect(res.headers).toMatchObject({
      'content-security-policy': CONSOLE_CSP,
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-cache',
    });
    expect(CONSOLE_CSP).toContain("default-src 'none'");
    expect(CONSOLE_CSP).toContain("script-src 'self'");
    expect(CONSOLE_CSP).not.toMatch(/unsafe-inline|unsafe-eval|https?:|\*/);
  });

  it('serves content-hashed assets as immutable, gzipped when the browser accepts it', async () => {
    const app = await server(built());
    const plain = await app.inject({ method: 'GET', url: '/assets/app-ABC.js' });
    expect([plain.statusCode, plain.headers['content-type'], plain.headers['cache-control']]).toEqual([
      200,
      'text/javascript; charset=utf-8',
      'public, max-age=31536000, immutable',
    ]);
    const gzipped = await app.inject({
      method: 'GET',
      url: '/assets/app-ABC.js',
      headers: { 'accept-encoding': 'gzip, br' },
    });
    expect(gzipped.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gzipped.rawPayload).toString()).toBe(plain.body);
    expect(gzipped.rawPayload.length).toBeLessThan(plain.rawPayload.length);
    expect((await app.inject({ method: 'GET', url: '/assets/app-DEF.css' })).headers['content-type']).toBe(
      'text/css; charset=utf-8',
    );
  });

  it('serves only the files the build listed: nothing else of the folder, no path tricks', async () => {
    const app = await server(built());
    for (const url of [
      '/assets/app-XYZ.js',
      '/assets/..%2Fmanifest.json',
      '/assets/%2e%2e%2findex.html',
      '/manifest.json',
      '/index.html',
    ]) {
      expect([url, (await app.inject({ method: 'GET', url })).statusCode]).toEqual([url, 404]);
    }
  });

  it('says how to build the console when it was not built, instead of failing to start', async () => {
    const res = await (await server(join(tmpdir(), 'sluice-console-missing'))).inject({ method: 'GET', url: '/' });
    expect([res.statusCode, res.body]).toEqual([503, expect.stringContaining('npm run build')]);
  });
});
