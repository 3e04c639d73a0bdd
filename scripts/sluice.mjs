// `npm run sluice -- <command>`: the declarative admin CLI (apps/cli), built first like `npm start`.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { build, ensureDependencies, root } from './setup.mjs';

ensureDependencies();
await build();
const { run, processIo } = createRequire(import.meta.url)(join(root, 'apps', 'cli', 'dist', 'index.js'));
process.exitCode = await run(process.argv.slice(2), processIo);
