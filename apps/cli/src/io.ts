/** What the CLI touches outside itself, injected so it runs the same in a test and a terminal. */
export interface Io {
  out(...lines: string[]): void;
  err(...lines: string[]): void;
  env: NodeJS.ProcessEnv;
  /** Where the user's files (-f, --secrets-out) are relative to. */
  cwd: string;
  /** Where `npm start` keeps `.sluice/` (npm runs scripts in the project root). */
  projectDir: string;
}

export const processIo: Io = {
  out: (...lines) => process.stdout.write(`${lines.join('\n')}\n`),
  err: (...lines) => process.stderr.write(`${lines.join('\n')}\n`),
  env: process.env,
  // `npm run` changes to the project root; INIT_CWD is where the user typed the command.
  cwd: process.env.INIT_CWD ?? process.cwd(),
  projectDir: process.cwd(),
};
