import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { freePort, portSlice } from './test-ports';

describe('ports for the servers a test starts', () => {
  it('lie below the range outgoing connections take their ports from, are distinct and can be listened on', async () => {
    const ephemeralLow = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').split(/\s+/)[0]);
    const ports = await Promise.all(Array.from({ length: 20 }, () => freePort()));
    expect(new Set(ports).size).toBe(20);
    for (const port of ports) expect(port).toBeLessThan(ephemeralLow);
    // fetch refuses the Fetch standard's bad ports (10080 the highest): a service there is never seen ready.
    for (const port of ports) expect(port).toBeGreaterThan(10_080);
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(ports[0], '127.0.0.1', resolve));
    try {
      // Once round the whole slice: the one that is taken is skipped.
      const next = [];
      for (let i = 0; i < 800; i++) next.push(await freePort());
      expect(next).not.toContain(ports[0]);
      expect(next).toContain(ports[1]);
    } finally {
      server.close();
    }
  });

  it('gives the workers of one run distinct slices, and two runs most likely different ones', () => {
    const firsts = (seed: number) => [1, 2, 3, 4].map((worker) => portSlice(worker, seed, 32_768).first);
    const run = firsts(4242);
    expect(new Set(run).size).toBe(4);
    for (const first of run) expect(first + 800).toBeLessThanOrEqual(32_768);
    expect(firsts(4243)).not.toEqual(run);
    // Over many runs, two at once rarely share a slice.
    let shared = 0;
    for (let seed = 1000; seed < 2000; seed++) if (firsts(seed).some((f) => firsts(seed + 7).includes(f))) shared++;
    expect(shared).toBeLessThan(400);
  });
});
