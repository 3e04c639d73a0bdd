import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '@sluice/testing';
import { ServiceProcess } from './service-process';

describe('a supervised service that never becomes ready', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-service-process-'));
    writeFileSync(
      join(dir, 'main.js'),
      "console.log('metrics endpoint on 127.0.0.1:1: listen EADDRINUSE'); process.exit(1);\n",
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('says what it last printed and how often it was restarted, in the error that gives up on it', async () => {
    const lines: string[] = [];
    const service = new ServiceProcess(
      // Nothing listens on port 1: /ready is never answered.
      { name: 'policy', entry: join(dir, 'main.js'), env: {}, url: 'http://127.0.0.1:1' },
      (name, line) => lines.push(`${name} ${line}`),
    );
    service.start();
    try {
      await waitFor(() => lines.length > 0);
      await expect(service.waitReady(300)).rejects.toThrow(
        /policy was not ready within 300 ms \(\d+ restarts\); its last lines:\n {2}metrics endpoint on 127\.0\.0\.1:1: listen EADDRINUSE/,
      );
    } finally {
      await service.stop();
    }
  });
});

describe('the node flags a supervised service is started with', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-service-args-'));
    writeFileSync(
      join(dir, 'main.js'),
      'console.log(JSON.stringify(process.execArgv)); setInterval(() => {}, 1000);\n',
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('are its own memory flags, then the operator’s SLUICE_NODE_ARGS, which win', async () => {
    const lines: string[] = [];
    const service = new ServiceProcess(
      {
        name: 'gateway',
        entry: join(dir, 'main.js'),
        env: { SLUICE_NODE_ARGS: '--min-semi-space-size=2 --stack-size=2000' },
        url: 'http://127.0.0.1:1',
        nodeArgs: ['--min-semi-space-size=16'],
      },
      (_name, line) => lines.push(line),
    );
    service.start();
    try {
      await waitFor(() => lines.length > 0);
      expect(JSON.parse(lines[0]!)).toEqual([
        '--min-semi-space-size=16',
        '--min-semi-space-size=2',
        '--stack-size=2000',
      ]);
    } finally {
      await service.stop();
    }
  });
});
