// `node scripts/nats-auth.mjs`: writes the NATS users and permissions of docker-compose.yml and
// deploy/ (deploy/nats-auth.conf, deploy/nats-values.yaml) from the ones `npm start` gives its
// embedded NATS (apps/supervisor/src/nats-users.ts). Run it after changing those permissions;
// apps/supervisor/test/nats-users.spec.ts fails until the files match.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { build, root } from './setup.mjs';

await build();
const { natsAuthConf, natsHelmValues } = createRequire(import.meta.url)(
  join(root, 'apps', 'supervisor', 'dist', 'nats-deploy.js'),
);
writeFileSync(join(root, 'deploy', 'nats-auth.conf'), natsAuthConf());
writeFileSync(join(root, 'deploy', 'nats-values.yaml'), natsHelmValues());
console.log('wrote deploy/nats-auth.conf and deploy/nats-values.yaml');
