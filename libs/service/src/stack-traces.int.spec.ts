import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { transformSync } from '@swc/core';

// Real processes on built code (the int tier builds first), as a service's main.ts runs it.
const dist = join(__dirname, '..', 'dist');
const mapStackTracesJs = JSON.stringify(join(dist, 'stack-traces.js'));

/** What `script` writes, run in a fresh node (with mapStackTraces first when `mapped`). */
function run(script: string, mapped: boolean, env: Record<string, string> = {}): string {
  const result = spawnSync(
    process.execPath,
    ['-e', `${mapped ? `require(${mapStackTracesJs}).mapStackTraces();` : ''}\n${script}`],
    { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8' },
  );
  expect(result.stderr).toBe('');
  return result.stdout;
}

describe("a service's stack traces", () => {
  /** Where in src/config.ts envInt throws: the line a reader of the stack should be sent to. */
  const throwLine =
    readFileSync(join(__dirname, 'config.ts'), 'utf8')
      .split('\n')
      .findIndex((line) => line.includes('must be an integer')) + 1;
  const badEnvStack = `try { require(${JSON.stringify(join(dist, 'config.js'))}).envInt('SLUICE_STACK_PROBE', 1); }
    catch (err) { process.stdout.write(err.stack); }`;

  it("name the TypeScript source and its line of Sluice's own compiled code", () => {
    const stack = run(badEnvStack, true, { SLUICE_STACK_PROBE: 'not a number' });
    expect(stack).toContain('environment variable SLUICE_STACK_PROBE must be an integer');
    expect(stack).toMatch(new RegExp(`at (?:Object\\.)?envInt \\(.*libs/service/src/config\\.ts:${throwLine}:\\d+\\)`));
  });

  it('name the compiled file without it (what a service printed before the maps were read)', () => {
    expect(run(badEnvStack, false, { SLUICE_STACK_PROBE: 'not a number' })).toMatch(
      /at (Object\.)?envInt \(.*libs\/service\/dist\/config\.js:\d+:\d+\)/,
    );
  });

  describe('formatted as Node formats them', () => {
    let dir: string;
    let fixtureJs: string;
    // A compiled module with its map, as the build writes one: line numbers move in the compiled file.
    const source = [
      'import { readFileSync } from "node:fs";',
      '',
      'export async function outer(): Promise<void> {',
      '  await inner();',
      '}',
      '',
      'async function inner(): Promise<void> {',
      '  await null;',
      '  throw new Error("late");',
      '}',
      '',
      'export function nodeError(): void {',
      '  readFileSync({} as string);',
      '}',
    ].join('\n');
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'sluice-stack-traces-'));
      const out = transformSync(source, {
        filename: 'fixture.ts',
        sourceFileName: 'fixture.ts',
        sourceMaps: true,
        jsc: { parser: { syntax: 'typescript' }, target: 'es2019' },
        module: { type: 'commonjs' },
      });
      fixtureJs = join(dir, 'fixture.js');
      writeFileSync(fixtureJs, `${out.code}\n//# sourceMappingURL=fixture.js.map`);
      writeFileSync(join(dir, 'fixture.js.map'), out.map ?? '');
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('keeps the `async` frames, each moved to its source', () => {
      const stack = run(
        `require(${JSON.stringify(fixtureJs)}).outer().catch((err) => process.stdout.write(err.stack));`,
        true,
      );
      expect(stack.split('\n')[0]).toBe('Error: late');
      expect(stack).toContain(`at inner (${join(dir, 'fixture.ts')}:9:9)`);
      // V8's own text for the frame (a CommonJS export is called on `Object`), its location the source's.
      expect(stack).toContain(`at async Object.outer (${join(dir, 'fixture.ts')}:4:3)`);
    });

    it("keeps a Node error's code in its first line, and frames without a map as they were", () => {
      const stack = run(
        `try { require(${JSON.stringify(fixtureJs)}).nodeError(); } catch (err) { process.stdout.write(err.stack); }`,
        true,
      );
      expect(stack.split('\n')[0]).toMatch(/^TypeError \[ERR_INVALID_ARG_TYPE\]: The "path" argument must be/);
      expect(stack).toContain(`at Object.nodeError (${join(dir, 'fixture.ts')}:13:`);
      expect(stack).toMatch(/\n {4}at \[eval\]-wrapper:\d+:\d+\n/);
      expect(stack).toMatch(/\n {4}at node:internal\/main\/eval_string:\d+:\d+$/);
    });
  });
});
