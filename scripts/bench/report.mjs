// Plain-text tables for the benchmark's results.

const ms = (x, digits = 3) => (x === null || x === undefined ? '—' : x.toFixed(digits));
const signed = (x, digits = 3) => (x === null || x === undefined ? '—' : `${x >= 0 ? '+' : ''}${x.toFixed(digits)}`);

export function table(headers, rows) {
  const cells = [headers, ...rows].map((row) => row.map((c) => String(c)));
  const widths = headers.map((_, i) => Math.max(...cells.map((row) => row[i].length)));
  const line = (row) => row.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

/** One row per target of a steady-rate run. */
export function steadyTable(results, { streaming }) {
  const headers = ['target', 'ok/sent', 'p50', 'p90', 'p99', 'p99.9', 'max', 'mean'];
  if (streaming) headers.push('ttfb p50', 'ttfb p99');
  headers.push('send lag p99', 'other CPU');
  const rows = results.map(({ label, run }) => {
    if (run.error) return [label, run.error, ...headers.slice(2).map(() => '')];
    const l = run.latency;
    const row = [label, `${run.ok}/${run.sent}`, ms(l.p50), ms(l.p90), ms(l.p99), ms(l.p999), ms(l.max, 2), ms(l.mean)];
    if (streaming) row.push(ms(run.ttfb.p50), ms(run.ttfb.p99));
    row.push(ms(run.lag.p99, 2), run.cpu.other === null ? '—' : run.cpu.other.toFixed(2));
    return row;
  });
  return table(headers, rows);
}

export function addedLine(added) {
  return Object.entries(added)
    .map(([label, a]) => `${label} p50 ${signed(a.p50)} ms, p99 ${signed(a.p99)} ms`)
    .join('; ');
}

export function throughputTable(results) {
  const headers = [
    'target',
    'req/s',
    'requests',
    'p50 ms',
    'p99 ms',
    'mean ms',
    'errors',
    'non-2xx',
    'gateway CPU',
    'all CPU',
    'other CPU',
  ];
  const rows = results.map(({ label, run }) => {
    if (run.error) return [label, run.error, ...headers.slice(2).map(() => '')];
    return [
      label,
      Math.round(run.rps),
      run.requests,
      run.p50,
      run.p99,
      ms(run.mean, 2),
      run.errors,
      run.non2xx,
      run.gatewayCpu === undefined || run.gatewayCpu === null ? '—' : run.gatewayCpu.toFixed(2),
      run.cpu.ours === null ? '—' : run.cpu.ours.toFixed(2),
      run.cpu.other === null ? '—' : run.cpu.other.toFixed(2),
    ];
  });
  return table(headers, rows);
}

/**
 * µs of CPU per call by process during a steady run: { name: µs, total }. Sluice's total is
 * `processes` (everything npm start runs); Portkey's is its one process, direct's the mock.
 */
export function cpuPerCall(run, processes) {
  const { byName, seconds } = run.cpu;
  if (!seconds || !run.sent) return null;
  const us = (cores) => Math.round((cores * seconds * 1e6) / run.sent);
  const out = {};
  for (const [name, cores] of Object.entries(byName)) out[name] = us(cores);
  out.sluiceTotal = processes.reduce((sum, name) => sum + (out[name] ?? 0), 0);
  return out;
}

export function cpuPerCallTable(rows, processes) {
  const headers = ['rate req/s', ...processes, 'total'];
  return table(
    headers,
    rows.map(({ rate, perCall }) => [rate, ...processes.map((n) => perCall?.[n] ?? '—'), perCall?.sluiceTotal ?? '—']),
  );
}

/** Sluice's resident memory by process, MB: RSS / PSS, idle after start and after the runs. */
export function memoryTable(stages, processes) {
  const cell = (m) => (m ? `${Math.round(m.rss)} / ${Math.round(m.pss)}` : '—');
  const total = (byName, field) => sumMemory(byName, processes, field);
  return table(
    ['RSS / PSS MB', ...processes, 'total'],
    stages.map(({ label, byName }) => [
      label,
      ...processes.map((n) => cell(byName?.[n])),
      cell(byName && { rss: total(byName, 'rss'), pss: total(byName, 'pss') }),
    ]),
  );
}

const sumMemory = (byName, names, field) => {
  const values = names.map((n) => byName?.[n]?.[field]).filter((v) => v !== undefined);
  return values.length && values.every(Number.isFinite) ? values.reduce((a, b) => a + b, 0) : null;
};

/**
 * The issue #15 table: Portkey and Sluice side by side, Sluice / Portkey, and the bare Node proxy
 * (the floor any Node gateway pays here) for reference.
 */
export function summaryTable(results, { rates, connections, withStream, processes }) {
  const rows = [];
  const ratio = (s, p, digits = 2) => (s === null || s === undefined || !p ? '—' : `${(s / p).toFixed(digits)}×`);
  const num = (x, digits = 0) => (x === null || x === undefined ? '—' : x.toFixed(digits));
  const sat = (n) => results.throughput.nonStreaming[n]?.rps ?? null;
  rows.push([
    `saturation req/s (${connections} connections, mean of 2 passes)`,
    num(sat('portkey')),
    num(sat('sluice')),
    ratio(sat('sluice'), sat('portkey')),
    num(sat('floor')),
  ]);
  const added = (a) => (a ? `${signed(a.p50, 2)} / ${signed(a.p99, 2)}` : '—');
  for (const rate of rates) {
    const a = results.added[rate].nonStreaming;
    rows.push([`added p50 / p99 ms @ ${rate} req/s`, added(a.portkey), added(a.sluice), '', added(a.floor)]);
  }
  for (const rate of rates) {
    const c = results.cpuPerCall[rate];
    const p = c.portkey?.portkey ?? null;
    const s = c.sluice?.sluiceTotal ?? null;
    rows.push([
      `CPU per call µs @ ${rate} req/s (all processes)`,
      num(p),
      num(s),
      ratio(s, p),
      num(c.floor?.floor ?? null),
    ]);
  }
  if (withStream) {
    for (const rate of rates) {
      const a = results.added[rate].streaming;
      rows.push([
        `stream ttfb added p50 ms @ ${rate} req/s`,
        a.portkey ? signed(a.portkey.ttfbP50, 2) : '—',
        a.sluice ? signed(a.sluice.ttfbP50, 2) : '—',
        '',
        a.floor ? signed(a.floor.ttfbP50, 2) : '—',
      ]);
    }
  }
  const mem = (n, names, field) => sumMemory(results.memory[n], names, field);
  rows.push([
    'resident memory MB after the runs (RSS sum)',
    num(mem('portkey', ['portkey'], 'rss')),
    num(mem('sluice', processes, 'rss')),
    ratio(mem('sluice', processes, 'rss'), mem('portkey', ['portkey'], 'rss')),
    num(mem('floor', ['floor'], 'rss')),
  ]);
  rows.push([
    '  proportional (PSS sum: shared pages once)',
    num(mem('portkey', ['portkey'], 'pss')),
    num(mem('sluice', processes, 'pss')),
    ratio(mem('sluice', processes, 'pss'), mem('portkey', ['portkey'], 'pss')),
    num(mem('floor', ['floor'], 'pss')),
  ]);
  return table(['', 'Portkey', 'Sluice', 'Sluice / Portkey', 'bare Node proxy'], rows);
}
