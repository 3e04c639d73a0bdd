// A light HTTP load generator on undici with keep-alive connections, timed with
// process.hrtime.bigint(): `paced` sends at a fixed rate (open loop: the schedule does not wait
// for replies), `closedLoop` keeps N requests in flight as fast as the target answers.
// Latency is measured from handing the request to undici to the last byte of the body; for
// streams also to the first body byte (TTFB). Everything is bounded in count and time.
import { Pool } from 'undici';

const NS_PER_MS = 1e6;

/** A keep-alive connection pool to one origin (http://127.0.0.1:port). */
export function connect(origin, connections) {
  return new Pool(origin, {
    connections,
    pipelining: 1,
    keepAliveTimeout: 30_000,
    keepAliveMaxTimeout: 60_000,
    headersTimeout: 10_000,
    bodyTimeout: 10_000,
  });
}

/**
 * One request. Resolves (never rejects) with `{ ok, status, totalNs, ttfbNs, bytes, error }`.
 * `check(status, tail)` decides whether the reply is a success from its status and last bytes.
 */
function send(pool, req) {
  const t0 = process.hrtime.bigint();
  return pool.request({ path: req.path, method: req.method ?? 'POST', headers: req.headers, body: req.body }).then(
    ({ statusCode, body }) =>
      new Promise((resolve) => {
        let ttfb = 0n;
        let bytes = 0;
        let tail = '';
        body.on('data', (chunk) => {
          if (ttfb === 0n) ttfb = process.hrtime.bigint();
          bytes += chunk.length;
          tail =
            chunk.length >= 32
              ? chunk.subarray(chunk.length - 32).toString('latin1')
              : (tail + chunk.toString('latin1')).slice(-32);
        });
        body.on('end', () => {
          const t1 = process.hrtime.bigint();
          const ok = req.check(statusCode, tail, bytes);
          resolve({
            ok,
            status: statusCode,
            totalNs: Number(t1 - t0),
            ttfbNs: ttfb === 0n ? Number(t1 - t0) : Number(ttfb - t0),
            bytes,
            error: ok ? undefined : `status ${statusCode}`,
          });
        });
        body.on('error', (err) =>
          resolve({
            ok: false,
            status: statusCode,
            totalNs: Number(process.hrtime.bigint() - t0),
            ttfbNs: 0,
            bytes,
            error: err.code ?? err.message,
          }),
        );
      }),
    (err) => ({
      ok: false,
      status: 0,
      totalNs: Number(process.hrtime.bigint() - t0),
      ttfbNs: 0,
      bytes: 0,
      error: err.code ?? err.message,
    }),
  );
}

/** Sends one request and returns its reply body as text, for checks before a run. */
export async function probe(pool, req) {
  const { statusCode, headers, body } = await pool.request({
    path: req.path,
    method: req.method ?? 'POST',
    headers: req.headers,
    body: req.body,
  });
  return { status: statusCode, headers, text: await body.text() };
}

/**
 * Open loop: request i is due at start + i/rate, whatever happened to the earlier ones. Sending
 * lag (how late the timer let us send) is recorded so a late generator is visible, and at most
 * `maxInFlight` requests are outstanding: beyond that a due request is skipped and counted.
 */
export async function paced(pool, req, { rate, seconds, maxInFlight = 256 }) {
  const total = Math.max(1, Math.round(rate * seconds));
  const intervalNs = 1e9 / rate;
  const latency = new Float64Array(total);
  const ttfb = new Float64Array(total);
  const lag = new Float64Array(total);
  const errors = new Map();
  let ok = 0;
  let failed = 0;
  let skipped = 0;
  let inFlight = 0;
  let next = 0;
  const start = process.hrtime.bigint() + 2_000_000n;
  const startNum = Number(start);
  const pending = [];

  const fire = (i, now) => {
    lag[i] = (now - (startNum + i * intervalNs)) / NS_PER_MS;
    if (inFlight >= maxInFlight) {
      skipped++;
      return;
    }
    inFlight++;
    pending.push(
      send(pool, req).then((r) => {
        inFlight--;
        if (r.ok) {
          latency[ok] = r.totalNs / NS_PER_MS;
          ttfb[ok] = r.ttfbNs / NS_PER_MS;
          ok++;
        } else {
          failed++;
          errors.set(r.error, (errors.get(r.error) ?? 0) + 1);
        }
      }),
    );
  };

  await new Promise((resolve) => {
    const tick = () => {
      const now = Number(process.hrtime.bigint());
      while (next < total && startNum + next * intervalNs <= now) fire(next++, now);
      if (next >= total) return resolve();
      const waitMs = (startNum + next * intervalNs - Number(process.hrtime.bigint())) / NS_PER_MS;
      setTimeout(tick, Math.max(0, Math.floor(waitMs)));
    };
    setTimeout(tick, 2);
  });
  const elapsedSec = Number(process.hrtime.bigint() - start) / 1e9;
  await settleAll(pending, 15_000);
  return {
    sent: total - skipped,
    ok,
    failed,
    skipped,
    errors: Object.fromEntries(errors),
    elapsedSec,
    latency: latency.subarray(0, ok),
    ttfb: ttfb.subarray(0, ok),
    lag,
  };
}

/** Closed loop: `concurrency` workers, each sending its next request when the last one ends. */
export async function closedLoop(pool, req, { concurrency, seconds, maxRequests = 5_000_000 }) {
  const latency = [];
  const errors = new Map();
  let ok = 0;
  let failed = 0;
  let started = 0;
  const t0 = process.hrtime.bigint();
  const deadline = t0 + BigInt(Math.round(seconds * 1e9));
  const worker = async () => {
    while (process.hrtime.bigint() < deadline && started < maxRequests) {
      started++;
      const r = await send(pool, req);
      if (r.ok) {
        ok++;
        latency.push(r.totalNs / NS_PER_MS);
      } else {
        failed++;
        errors.set(r.error, (errors.get(r.error) ?? 0) + 1);
        if (r.status === 0) await new Promise((resolve) => setTimeout(resolve, 10)); // connection errors: do not spin
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsedSec = Number(process.hrtime.bigint() - t0) / 1e9;
  return {
    ok,
    failed,
    errors: Object.fromEntries(errors),
    elapsedSec,
    rps: ok / elapsedSec,
    latency: Float64Array.from(latency),
  };
}

async function settleAll(promises, timeoutMs) {
  let timer;
  await Promise.race([
    Promise.allSettled(promises),
    new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs))),
  ]);
  clearTimeout(timer);
}

/** p50, p90, p99, p99.9, max and mean of samples in ms (nearest rank). */
export function summarize(samples) {
  const sorted = Float64Array.from(samples).sort();
  const n = sorted.length;
  if (n === 0) return { n: 0, p50: null, p90: null, p99: null, p999: null, max: null, mean: null };
  const at = (q) => sorted[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))];
  let sum = 0;
  for (const x of sorted) sum += x;
  return { n, p50: at(0.5), p90: at(0.9), p99: at(0.99), p999: at(0.999), max: sorted[n - 1], mean: sum / n };
}
