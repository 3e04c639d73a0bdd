const LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

/** Turns a service's JSON log line into `service | level message {fields}` for a terminal. */
export function formatLine(service: string, line: string): string {
  const tag = service.padEnd(12);
  if (!line.startsWith('{')) return `${tag}| ${line}`;
  try {
    const { level, msg, time: _time, pid: _pid, hostname: _host, service: _service, ...fields } = JSON.parse(line);
    const rest = Object.keys(fields).length ? ` ${JSON.stringify(fields)}` : '';
    return `${tag}| ${LEVELS[level] ?? level} ${msg ?? ''}${rest}`;
  } catch {
    return `${tag}| ${line}`;
  }
}
