import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** diesWithParent from a fresh module (it remembers which setpriv it found), with PATH as given. */
function diesWithParentOn(path: string): typeof import('./parent-death').diesWithParent {
  const saved = process.env.PATH;
  process.env.PATH = path;
  try {
    let fn!: typeof import('./parent-death').diesWithParent;
    jest.isolateModules(() => {
      fn = require('./parent-death').diesWithParent;
    });
    // The lookup happens on the first call.
    fn('/bin/true', [], 'SIGTERM');
    return fn;
  } finally {
    process.env.PATH = saved;
  }
}

describe('a command that dies with its parent', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-setpriv-'));
    // A setpriv that knows no --pdeathsig, as util-linux before 2.33 (RHEL 8) or BusyBox's.
    writeFileSync(join(dir, 'setpriv'), '#!/bin/sh\necho "setpriv: unrecognized option \'--pdeathsig\'" >&2\nexit 1\n');
    chmodSync(join(dir, 'setpriv'), 0o755);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs as given where setpriv cannot set a parent-death signal', () => {
    expect(diesWithParentOn(dir)('/usr/bin/postgres', ['-D', 'x'], 'SIGINT')).toEqual({
      command: '/usr/bin/postgres',
      args: ['-D', 'x'],
    });
  });

  it("runs under this machine's setpriv (util-linux), which sets one", () => {
    const { command, args } = diesWithParentOn(process.env.PATH ?? '')('/usr/bin/postgres', ['-D', 'x'], 'SIGINT');
    expect(command).toMatch(/\/setpriv$/);
    expect(args).toEqual(['--pdeathsig', 'SIGINT', '--', '/usr/bin/postgres', '-D', 'x']);
  });
});
