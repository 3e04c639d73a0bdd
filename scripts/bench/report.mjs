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
  const headers = ['target', 'req/s', 'requests', 'p50 ms', 'p99 ms', 'mean ms', 'errors', 'non-2xx', 'gateway CPU', 'all CPU', 'other CPU'];
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
