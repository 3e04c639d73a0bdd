// How `npm run bench` joins a target's passes of one phase. Every phase runs twice, the targets in
// one order and then in the other (ABBA): on this host whichever target runs second of two is the
// slower one more often than not, so one fixed order would favour the first.
import { summarize } from './loadgen.mjs';

export function round(x, digits = 4) {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export function rounded(summary) {
  return Object.fromEntries(
    Object.entries(summary).map(([k, v]) => [k, typeof v === 'number' && k !== 'n' ? round(v) : v]),
  );
}

const mean = (values) =>
  values.some((v) => v === null || v === undefined) ? null : values.reduce((a, b) => a + b, 0) / values.length;
const sum = (values) => values.reduce((a, b) => a + b, 0);
const roundOrNull = (x, digits) => (x === null ? null : round(x, digits));

/** CPU meters of passes of equal length: seconds summed, cores (every process's too) averaged. */
export function meanCpu(cpus) {
  const names = [...new Set(cpus.flatMap((c) => Object.keys(c.byName)))];
  return {
    seconds: round(sum(cpus.map((c) => c.seconds)), 3),
    machine: roundOrNull(mean(cpus.map((c) => c.machine)), 3),
    ours: roundOrNull(mean(cpus.map((c) => c.ours)), 3),
    other: roundOrNull(mean(cpus.map((c) => c.other)), 3),
    byName: Object.fromEntries(names.map((n) => [n, round(mean(cpus.map((c) => c.byName[n] ?? 0)), 3)])),
  };
}

/**
 * One target's steady result from its passes (`paced` loads with their CPU meters): the samples
 * pooled and then summarized, counts summed, CPU averaged.
 */
export function steadyOfPasses(passes) {
  const pooled = (pick) => {
    const out = new Float64Array(sum(passes.map((p) => pick(p.load).length)));
    let at = 0;
    for (const p of passes) {
      out.set(pick(p.load), at);
      at += pick(p.load).length;
    }
    return rounded(summarize(out));
  };
  const sent = sum(passes.map((p) => p.load.sent));
  const errors = {};
  for (const p of passes)
    for (const [error, count] of Object.entries(p.load.errors)) errors[error] = (errors[error] ?? 0) + count;
  return {
    sent,
    ok: sum(passes.map((p) => p.load.ok)),
    failed: sum(passes.map((p) => p.load.failed)),
    skipped: sum(passes.map((p) => p.load.skipped)),
    errors,
    achievedRate: round(sent / sum(passes.map((p) => p.load.elapsedSec)), 1),
    latency: pooled((l) => l.latency),
    ttfb: pooled((l) => l.ttfb),
    lag: pooled((l) => l.lag),
    cpu: meanCpu(passes.map((p) => p.cpu)),
    passes: passes.map((p) => ({
      p50: round(summarize(p.load.latency).p50 ?? 0),
      p99: round(summarize(p.load.latency).p99 ?? 0),
      quietBefore: p.quietBefore,
    })),
  };
}

/** One target's saturation result from its passes: rates, latencies and CPU averaged, counts summed. */
export function saturationOfPasses(runs) {
  const of = (pick) => mean(runs.map(pick));
  return {
    rps: round(
      of((r) => r.rps),
      1,
    ),
    requests: sum(runs.map((r) => r.requests)),
    p50: round(
      of((r) => r.p50),
      1,
    ),
    p99: round(
      of((r) => r.p99),
      1,
    ),
    mean: round(
      of((r) => r.mean),
      2,
    ),
    errors: sum(runs.map((r) => r.errors)),
    timeouts: sum(runs.map((r) => r.timeouts)),
    non2xx: sum(runs.map((r) => r.non2xx)),
    cpu: meanCpu(runs.map((r) => r.cpu)),
    gatewayCpu: roundOrNull(
      of((r) => r.gatewayCpu),
      3,
    ),
    passes: runs.map((r) => ({ rps: r.rps, p50: r.p50, p99: r.p99, quietBefore: r.quietBefore })),
  };
}
