// Preloaded (`node --import`) into the Portkey gateway the benchmark runs side by side:
// 1. it listens on 127.0.0.1 only (see loopback.mjs);
// 2. it may connect to loopback addresses only: any other outbound connection fails at once,
//    so nothing it might do by itself (guardrail plugins, remote lookups) leaves this machine;
// 3. streamed upstream replies get mutable headers. Portkey 1.15.2 on Node passes the fetch
//    Response's headers (guard "immutable") into the response it relays, then appends its
//    x-portkey-* headers and throws `TypeError: immutable`, so every streamed call fails with a 500
//    (Portkey-AI/gateway issues #1389 and #1550). We copy the headers of event streams into a
//    native Response, which is what Portkey's own proposed fix does; the body is not copied.
import './loopback.mjs';
import net from 'node:net';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);
/** The host a Socket#connect call targets, or null for a local (IPC) socket path. */
function targetHost(args) {
  const first = Array.isArray(args[0]) ? args[0][0] : args[0]; // net.connect passes normalized [options, cb]
  if (first && typeof first === 'object') return first.path ? null : (first.host ?? 'localhost'); // as net decides: a truthy path is a local socket
  if (typeof first === 'string' && !/^\d+$/.test(first)) return null;
  return typeof args[1] === 'string' ? args[1] : 'localhost';
}
const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function connectLoopbackOnly(...args) {
  const host = targetHost(args);
  if (host !== null && !LOOPBACK_HOSTS.has(host) && !host.startsWith('127.')) {
    const error = Object.assign(new Error(`bench: outbound connection to ${host} refused (loopback only)`), {
      code: 'ECONNREFUSED',
    });
    setImmediate(() => this.destroy(error));
    return this;
  }
  return connect.apply(this, args);
};

const NativeResponse = globalThis.Response;
const nativeFetch = globalThis.fetch;
globalThis.fetch = async function fetchWithMutableStreamHeaders(input, init) {
  const response = await nativeFetch(input, init);
  if (!response.headers.get('content-type')?.startsWith('text/event-stream')) return response;
  return new NativeResponse(response.body, {
    status: response.status,
    statusText: response.statusText,
    headers: new Headers(response.headers),
  });
};

// The benchmark holds our stdin open: when it goes away, even killed, so do we.
if (process.env.BENCH_WATCH_STDIN === '1') {
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('error', () => process.exit(0));
  process.stdin.resume();
}
