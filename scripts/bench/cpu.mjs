// CPU accounting from /proc (Linux; elsewhere every figure is null): the machine's busy time and
// the share of it used by this process and its descendants (the mock, every Sluice service, NATS,
// Postgres, Portkey). "Other" load — anything else running on the machine — skews a benchmark, so
// it is measured for every phase and the benchmark waits for a quiet machine before each one.
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SEC = 100; // USER_HZ on Linux

function machineTicks() {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number);
    const idle = cpu[3] + (cpu[4] ?? 0);
    const total = cpu.slice(0, 8).reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    return null;
  }
}

/** utime+stime of every process whose ancestry reaches `rootPid`, and pid → ticks. */
function treeTicks(rootPid) {
  const parents = new Map();
  const ticks = new Map();
  const comms = new Map();
  let entries;
  try {
    entries = readdirSync('/proc');
  } catch {
    return null;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parents.set(Number(entry), Number(fields[1]));
      comms.set(Number(entry), stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')));
      ticks.set(Number(entry), Number(fields[11]) + Number(fields[12]));
    } catch {
      // gone meanwhile
    }
  }
  const mine = (pid) => {
    for (let p = pid, hops = 0; p > 1 && hops < 64; p = parents.get(p) ?? 0, hops++) if (p === rootPid) return true;
    return false;
  };
  const ours = new Map();
  for (const [pid, t] of ticks) if (mine(pid)) ours.set(pid, t);
  return { ours, ticks, comms };
}

/** Starts a measurement; `end()` returns cores used on average: { machine, ours, other, byPid }. */
export function cpuMeter(rootPid = process.pid, watch = {}) {
  const m0 = machineTicks();
  const t0 = treeTicks(rootPid);
  const start = process.hrtime.bigint();
  return {
    end() {
      const m1 = machineTicks();
      const t1 = treeTicks(rootPid);
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      if (!m0 || !m1 || !t0 || !t1) return { seconds, machine: null, ours: null, other: null, byName: {} };
      const cores = (ticks) => ticks / TICKS_PER_SEC / seconds;
      const machine = cores(m1.busy - m0.busy);
      // Per process, so one that ended meanwhile does not make the rest look smaller (its own
      // last ticks are lost: a slight undercount, which shows up as "other").
      let oursTicks = 0;
      for (const [pid, t] of t1.ours) oursTicks += t - (t0.ours.get(pid) ?? 0);
      const ours = Math.max(0, cores(oursTicks));
      const byName = {};
      for (const [name, pid] of Object.entries(watch)) {
        if (pid && t1.ticks.has(pid)) byName[name] = round(cores(t1.ticks.get(pid) - (t0.ticks.get(pid) ?? 0)));
      }
      // The servers we did not spawn ourselves: every process of the embedded NATS and Postgres.
      for (const comm of ['nats-server', 'postgres']) {
        let t = 0;
        for (const [pid, ticks] of t1.ours) if (t1.comms.get(pid) === comm) t += ticks - (t0.ours.get(pid) ?? 0);
        if (t > 0) byName[comm] = round(cores(t));
      }
      return {
        seconds: round(seconds),
        machine: round(machine),
        ours: round(ours),
        other: round(Math.max(0, machine - ours)),
        byName,
      };
    },
  };
}

/**
 * Resident memory in MB of the watched processes and of every nats-server and postgres process
 * under `rootPid`: { byName: { name: { rss, pss } } }. RSS counts the pages Postgres' processes
 * share once per process; PSS splits them, so the PSS sum is what the tree really holds.
 */
export function memory(rootPid = process.pid, watch = {}) {
  const tree = treeTicks(rootPid);
  if (!tree) return { byName: {} };
  const read = (pid) => {
    const kb = (text, field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
    try {
      const rss = kb(readFileSync(`/proc/${pid}/status`, 'utf8'), 'VmRSS');
      let pss = NaN;
      try {
        pss = kb(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'), 'Pss');
      } catch {
        // another user's process
      }
      return { rss: rss / 1024, pss: pss / 1024 };
    } catch {
      return { rss: 0, pss: 0 };
    }
  };
  const add = (a, b) => ({ rss: a.rss + b.rss, pss: a.pss + b.pss });
  const byName = {};
  for (const [name, pid] of Object.entries(watch)) if (pid && tree.ticks.has(pid)) byName[name] = read(pid);
  for (const comm of ['nats-server', 'postgres']) {
    for (const pid of tree.ours.keys())
      if (tree.comms.get(pid) === comm) byName[comm] = add(byName[comm] ?? { rss: 0, pss: 0 }, read(pid));
  }
  return { byName };
}

/**
 * Waits until the machine is quiet — under `threshold` cores busy over `windowMs` — for at most
 * `maxMs`. Returns how long it waited and the load it last saw.
 */
export async function waitQuiet({ threshold = 0.15, windowMs = 300, maxMs = 15_000, watch = {} } = {}) {
  const started = Date.now();
  let last = null;
  while (Date.now() - started < maxMs) {
    const meter = cpuMeter(process.pid, watch);
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    last = meter.end();
    if (last.machine === null || last.machine < threshold) return { waitedMs: Date.now() - started, quiet: true, last };
  }
  return { waitedMs: Date.now() - started, quiet: false, last };
}

const round = (x) => Math.round(x * 1000) / 1000;
