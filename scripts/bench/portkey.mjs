// The Portkey open-source gateway (the @portkey-ai/gateway devDependency) as a child process,
// for a side-by-side comparison against the same mock upstream. It is called with Portkey's own
// headers: `x-portkey-provider: openai`, `x-portkey-custom-host: <mock>/v1` (127.0.0.1 is a
// trusted custom host by default) and `Authorization: Bearer <upstream key>`, which its openai
// provider forwards as is.
import { spawn } from 'node:child_process';
import { existsSync, openSync, closeSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const STRIPPED_ENV = [
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'http_proxy',
  'https_proxy',
  'REDIS_CONNECTION_STRING',
  'TRUSTED_CUSTOM_HOSTS',
  'NODE_OPTIONS',
];

export function portkeyHeaders(upstreamUrl, upstreamKey) {
  return {
    'x-portkey-provider': 'openai',
    'x-portkey-custom-host': upstreamUrl,
    authorization: `Bearer ${upstreamKey}`,
  };
}

/** Starts `start-server.js --port=<port> --headless` and waits until it answers `GET /`. */
export async function startPortkey({ root, port, logFile, timeoutMs = 30_000 }) {
  const pkgDir = join(root, 'node_modules/@portkey-ai/gateway');
  const entry = join(pkgDir, 'build/start-server.js');
  if (!existsSync(entry))
    throw new Error(`${entry} is missing: run npm install (@portkey-ai/gateway is a devDependency)`);
  const version = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')).version;
  const env = { ...process.env, NODE_ENV: 'production', BENCH_WATCH_STDIN: '1' };
  for (const name of STRIPPED_ENV) delete env[name];
  const log = openSync(logFile, 'w');
  const child = spawn(
    process.execPath,
    ['--import', pathToFileURL(join(here, 'portkey-preload.mjs')).href, entry, `--port=${port}`, '--headless'],
    {
      cwd: root,
      env,
      stdio: ['pipe', log, log],
    },
  );
  closeSync(log);
  child.stdin.unref?.(); // held open only so that Portkey exits with us
  let exited = null;
  const exit = new Promise((resolve) =>
    child.once('exit', (code, signal) => resolve((exited = signal ?? `code ${code}`))),
  );
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (exited !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exit;
    clearTimeout(timer);
  };
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && exited === null) {
    try {
      const res = await fetch(`${url}/`, { signal: AbortSignal.timeout(1000) });
      if (res.ok && (await res.text()).includes('AI Gateway')) return { url, version, pid: child.pid, stop };
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await stop();
  throw new Error(`Portkey gateway did not start (${exited ?? `no answer within ${timeoutMs} ms`}); see ${logFile}`);
}
