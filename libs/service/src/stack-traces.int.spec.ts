import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// A real process on the built dist (the int tier builds first), as a service's main.ts runs it.
const dist = join(__dirname, '..', 'dist');

/** The stack of the error envInt throws for a value that is not a number, in a fresh node. */
function stackOfBadEnv(mapped: boolean): string {
  const script = `
    ${mapped ? `require(${JSON.stringify(join(dist, 'stack-traces.js'))}).mapStackTraces();` : ''}
    try { require(${JSON.stringify(join(dist, 'config.js'))}).envInt('SLUICE_STACK_PROBE', 1); }
    catch (err) { process.stdout.write(err.stack); }`;
  const run = spawnSync(process.execPath, ['-e', script], {
    env: { PATH: process.env.PATH, SLUICE_STACK_PROBE: 'not a number' },
    encoding: 'utf8',
  });
  expect(run.status).toBe(0);
  return run.stdout;
}

/** Where in src/config.ts envInt throws: the line a reader of the stack should be sent to. */
const throwLine =
  readFileSync(join(__dirname, 'config.ts'), 'utf8')
    .split('\n')
    .findIndex((line) => line.includes('must be an integer')) + 1;

describe("a service's stack traces", () => {
  it('name the TypeScript source and its line, read from the source map when the stack is formatted', () => {
    const stack = stackOfBadEnv(true);
    expect(stack).toContain('environment variable SLUICE_STACK_PROBE must be an integer');
    expect(stack).toMatch(new RegExp(`at (?:Object\\.)?envInt \\(.*libs/service/src/config\\.ts:${throwLine}:\\d+\\)`));
  });

  it('name the compiled file without it (what a service printed before the maps were read)', () => {
    expect(stackOfBadEnv(false)).toMatch(/at (Object\.)?envInt \(.*libs\/service\/dist\/config\.js:\d+:\d+\)/);
  });
});
