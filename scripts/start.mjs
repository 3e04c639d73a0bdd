// `npm start`: installs what is missing, builds, and runs the whole system (apps/supervisor).
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { build, ensureDependencies, ensureServers, root } from './setup.mjs';

ensureDependencies();
ensureServers({ nats: !process.env.NATS_URL, postgres: !process.env.DATABASE_URL });
await build();
createRequire(import.meta.url)(join(root, 'apps', 'supervisor', 'dist', 'cli.js'));
