import { spawnSync } from 'node:child_process';
import { memoryArgs, withMemoryOptions } from './node-memory';

/** The heap of a Node process started with `nodeOptions` after it made 200 MB of short-lived garbage, MB. */
function heapOf(nodeOptions: string): { newSpace: number; limit: number } {
  const script = `
    const v8 = require('node:v8');
    let keep;
    for (let i = 0; i < 200_000; i++) keep = { i, text: 'x'.repeat(1000) + i };
    const mb = (b) => Math.round(b / 1048576);
    const newSpace = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
    console.log(JSON.stringify({ newSpace: mb(newSpace), limit: mb(v8.getHeapStatistics().heap_size_limit), keep: keep.i }));`;
  const run = spawnSync(process.execPath, ['-e', script], {
    env: { PATH: process.env.PATH, NODE_OPTIONS: nodeOptions },
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(run.stderr);
  return JSON.parse(run.stdout);
}

/** The young generation's size as a Node process started with `args` begins, before it has allocated much, MB. */
function startingNewSpace(args: string[]): number {
  const script = `
    const space = require('node:v8').getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
    console.log(Math.round(space.space_size / 1048576));`;
  const run = spawnSync(process.execPath, [...args, '-e', script], {
    env: { PATH: process.env.PATH },
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(run.stderr);
  return Number(run.stdout);
}

describe('the V8 memory settings npm start gives each service', () => {
  it('keeps the young generation small and the heap under the service’s ceiling', () => {
    const admin = heapOf(withMemoryOptions('admin-api', {}));
    expect(admin.newSpace).toBeLessThanOrEqual(4);
    // heap_size_limit is the old generation's ceiling plus three semi-spaces.
    expect(admin.limit).toBe(384 + 3 * 2);
    expect(heapOf(withMemoryOptions('metering', {})).limit).toBe(384 + 3 * 4);
    expect(heapOf(withMemoryOptions('gateway', {})).limit).toBe(768 + 3 * 16);
    expect(heapOf(withMemoryOptions('policy', {})).limit).toBe(1536 + 3 * 4);
  });

  it('gives way to the operator: SLUICE_<SERVICE>_SEMI_SPACE_MB and _MAX_HEAP_MB, and NODE_OPTIONS last', () => {
    const roomy = heapOf(
      withMemoryOptions('key-registry', {
        SLUICE_KEY_REGISTRY_SEMI_SPACE_MB: '8',
        SLUICE_KEY_REGISTRY_MAX_HEAP_MB: '1000',
      }),
    );
    expect(roomy.newSpace).toBeGreaterThan(4);
    expect(roomy.limit).toBe(1000 + 3 * 8);
    expect(
      heapOf(withMemoryOptions('admin-api', { NODE_OPTIONS: '--max-old-space-size=1200 --max-semi-space-size=16' }))
        .limit,
    ).toBeGreaterThanOrEqual(1200);
    // 0: Node's own choice, as without npm start.
    expect(withMemoryOptions('gateway', { SLUICE_GATEWAY_SEMI_SPACE_MB: '0', SLUICE_GATEWAY_MAX_HEAP_MB: '0' })).toBe(
      '',
    );
  });

  it('keeps each young generation at its full size, so a quiet spell does not shrink it to 1 MB', () => {
    // V8's own minimum: what a quiet spell shrinks the young generation back to.
    expect(startingNewSpace([])).toBe(1);
    expect(startingNewSpace(memoryArgs('gateway', {}))).toBe(16);
    expect(startingNewSpace(memoryArgs('metering', {}))).toBe(4);
    expect(startingNewSpace(memoryArgs('admin-api', {}))).toBe(2);
    // Below the maximum when asked, never above it; 0: V8's own.
    expect(memoryArgs('gateway', { SLUICE_GATEWAY_MIN_SEMI_SPACE_MB: '4' })).toEqual(['--min-semi-space-size=4']);
    expect(memoryArgs('policy', { SLUICE_POLICY_MIN_SEMI_SPACE_MB: '64' })).toEqual(['--min-semi-space-size=4']);
    expect(memoryArgs('policy', { SLUICE_POLICY_MIN_SEMI_SPACE_MB: '0' })).toEqual([]);
    expect(memoryArgs('gateway', { SLUICE_GATEWAY_SEMI_SPACE_MB: '0' })).toEqual([]);
  });

  it('refuses a setting that is not a whole number of MB', () => {
    expect(() => withMemoryOptions('metering', { SLUICE_METERING_MAX_HEAP_MB: '512m' })).toThrow(
      'SLUICE_METERING_MAX_HEAP_MB must be a whole number of MB',
    );
  });
});
